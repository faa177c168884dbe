package io.lakehose.errorout;

import java.util.Optional;
import java.util.Set;

/**
 * Which error records keep their {@code raw_data} (lake.errorOmitRawData). The error output
 * holds item data by design: the record as it came, to replay or inspect it. For tables whose
 * data must not be kept there, the line keeps its reason, code and position but not the record.
 *
 * @param omitted      tables whose error records omit raw_data
 * @param omitAll      every error record omits it ({@code *})
 * @param unknownTable the table a record counts as when its own could not be read (lake.table,
 *                     whose error output it goes to)
 */
public record RawDataRule(Set<String> omitted, boolean omitAll, String unknownTable) {

    public static final String ALL = "*";

    public RawDataRule {
        omitted = Set.copyOf(omitted);
    }

    /** Every record keeps raw_data (the default). */
    public static RawDataRule keepAll(String unknownTable) {
        return new RawDataRule(Set.of(), false, unknownTable);
    }

    public boolean keepsRawData(Optional<String> table) {
        return !omitAll && !omitted.contains(table.orElse(unknownTable));
    }

    /** The same rule where records of unknown table count as {@code table}'s (a backfill reads one table). */
    public RawDataRule withUnknownTable(String table) {
        return new RawDataRule(omitted, omitAll, table);
    }
}
