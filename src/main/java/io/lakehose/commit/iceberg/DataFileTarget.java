package io.lakehose.commit.iceberg;

import org.apache.iceberg.MetricsConfig;
import org.apache.iceberg.PartitionData;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.LocationProvider;
import org.apache.iceberg.mapping.MappingUtil;
import org.apache.iceberg.mapping.NameMapping;
import org.apache.iceberg.mapping.NameMappingParser;

import java.util.Map;

/**
 * What writing and describing a data file needs of a table (its schema's field ids, partition
 * spec, data location, FileIO, metrics settings, name mapping), taken from the table's metadata
 * at one moment. The upload threads and the shards use this instead of the {@link Table}: each of
 * the table's accessors may re-read its metadata from the catalog after a commit, and one that
 * does so while the commit thread commits makes that commit fail as stale and go again.
 * The commit thread renews it whenever it reads the table ({@link #of}).
 */
record DataFileTarget(Schema schema, NameMapping byColumnName, PartitionSpec spec, PartitionData emptyPartition,
                      String location, LocationProvider locations, FileIO io, MetricsConfig metrics,
                      NameMapping nameMapping, Map<String, String> properties) {

    static DataFileTarget of(Table table) {
        Map<String, String> properties = Map.copyOf(table.properties());
        String mapping = properties.get(TableProperties.DEFAULT_NAME_MAPPING);
        Schema schema = table.schema();
        return new DataFileTarget(schema, MappingUtil.create(schema), table.spec(),
                new PartitionData(table.spec().partitionType()), table.location(), table.locationProvider(), table.io(),
                MetricsConfig.forTable(table), mapping == null ? null : NameMappingParser.fromJson(mapping), properties);
    }

    /** This, or a new one when {@code table}'s metadata (just read) changed what it holds. */
    DataFileTarget renewedFrom(Table table) {
        boolean same = table.schema().schemaId() == schema.schemaId() && table.spec().equals(spec)
                && table.location().equals(location) && table.properties().equals(properties);
        return same ? this : of(table);
    }

    /** A partition of the spec's type, to fill in. */
    PartitionData newPartition() {
        return emptyPartition.copy();
    }
}
