import { Stack, Token } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import { Construct } from 'constructs';

/**
 * The envelope's Parquet columns (docs/design.md, "Envelope schema"; encode.EnvelopeSchema) in
 * Glue's types: timestamps are INT64 TIMESTAMP(MICROS, UTC), longs bigint, JSON kept as strings.
 * A table with a typed schema (tables.<name>.schema) has other columns: give it a table of its own.
 */
export const ENVELOPE_COLUMNS: readonly { name: string; type: string }[] = [
  { name: 'event_id', type: 'string' },
  { name: 'event_name', type: 'string' },
  { name: 'table_name', type: 'string' },
  { name: 'aws_region', type: 'string' },
  { name: 'event_time', type: 'timestamp' },
  { name: 'user_identity', type: 'string' },
  { name: 'keys', type: 'string' },
  { name: 'new_image', type: 'string' },
  { name: 'old_image', type: 'string' },
  { name: 'size_bytes', type: 'bigint' },
  { name: 'shard_id', type: 'string' },
  { name: 'sequence_number', type: 'string' },
  { name: 'sub_sequence_number', type: 'bigint' },
  { name: 'arrival_time', type: 'timestamp' },
];

/** The folder layout's partition directories (partition.LakeLayout.DEFAULT_TEMPLATE) as Athena projects them. */
export const FOLDER_PARTITION_TEMPLATE = 'table=${table}/dt=${dt}/hour=${hour}';

/**
 * The first day the folder table projects unless `lakeStartDate` says otherwise. A query without
 * a dt filter lists every projected day's folders: set it to the day the lake starts.
 */
export const DEFAULT_LAKE_START_DATE = '2025-01-01';

/** The Glue table of the folder layout, beside the change-log tables (`<name>_changes`) it never collides with. */
export const FOLDER_TABLE_NAME = 'changes';

export interface LakeCatalogProps {
  /** Glue database (Athena: lower case, letters, digits, '_'). */
  readonly databaseName: string;
  readonly bucketName: string;
  /** lake.uri's path in the bucket (the data; the error output is elsewhere, under errorPrefix). */
  readonly lakePrefix: string;
  /** Create the folder layout's table (lake.format folders or both). */
  readonly folderTable: boolean;
  /**
   * DynamoDB table names under the lake prefix: the `table` partition is projected from this list
   * (queries need no filter on it). Empty: `table` is injected, and every query must say
   * `WHERE "table" = '<name>'`.
   */
  readonly tableNames: string[];
  /** First day (yyyy-MM-dd, UTC) Athena projects: a query without a dt filter reads every day from here. */
  readonly startDate: string;
}

/**
 * The lake in the Glue Data Catalog, for Athena without a crawler or MSCK REPAIR: the database,
 * and a table over the folder layout whose partitions (table, dt, hour) Athena computes from the
 * table's properties (partition projection). The Iceberg change-log tables are created in the
 * same database by the service itself (Iceberg's GlueCatalog; permissions.ts).
 */
export class LakeCatalog extends Construct {
  readonly databaseName: string;
  readonly database: glue.CfnDatabase;
  readonly folderTable?: glue.CfnTable;
  readonly catalogArn: string;
  readonly databaseArn: string;
  readonly allDatabasesArn: string;
  readonly tablesArn: string;

  constructor(scope: Construct, id: string, props: LakeCatalogProps) {
    super(scope, id);
    if (!/^[a-z0-9_]{1,255}$/.test(props.databaseName)) {
      throw new Error(`glueDatabase '${props.databaseName}' must be lower-case letters, digits and '_' (Athena's rule)`);
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(props.startDate) || Number.isNaN(Date.parse(`${props.startDate}T00:00:00Z`))) {
      throw new Error(`lakeStartDate '${props.startDate}' must be a day as yyyy-MM-dd`);
    }
    for (const t of props.tableNames.filter(n => !Token.isUnresolved(n))) {
      if (!/^[A-Za-z0-9_.-]{3,255}$/.test(t)) {
        throw new Error(`lake table '${t}' is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)`);
      }
    }
    const stack = Stack.of(this);
    this.databaseName = props.databaseName;
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: {
        name: props.databaseName,
        description: 'lakehose: the change log as folders (table "changes") and as Iceberg tables (<name>_changes)',
      },
    });
    const arn = (resourceName: string, resource: string) => stack.formatArn({ service: 'glue', resource, resourceName });
    this.catalogArn = stack.formatArn({ service: 'glue', resource: 'catalog' });
    this.databaseArn = arn(props.databaseName, 'database');
    this.allDatabasesArn = arn('*', 'database');
    this.tablesArn = arn(`${props.databaseName}/*`, 'table');

    if (props.folderTable) {
      const location = `s3://${props.bucketName}/${props.lakePrefix}/`;
      const table: Record<string, string> = props.tableNames.length > 0
        ? { 'projection.table.type': 'enum', 'projection.table.values': props.tableNames.join(',') }
        : { 'projection.table.type': 'injected' };
      this.folderTable = new glue.CfnTable(this, 'FolderTable', {
        catalogId: stack.account,
        databaseName: this.database.ref,
        tableInput: {
          name: FOLDER_TABLE_NAME,
          description: 'lakehose folder layout: one row per change, partitions projected (no crawler, no MSCK REPAIR)',
          tableType: 'EXTERNAL_TABLE',
          parameters: {
            'EXTERNAL': 'TRUE',
            'classification': 'parquet',
            'projection.enabled': 'true',
            ...table,
            'projection.dt.type': 'date',
            'projection.dt.format': 'yyyy-MM-dd',
            // Up to tomorrow: the service accepts event times up to a day ahead of its clock.
            'projection.dt.range': `${props.startDate},NOW+1DAYS`,
            'projection.dt.interval': '1',
            'projection.dt.interval.unit': 'DAYS',
            'projection.hour.type': 'integer',
            'projection.hour.range': '0,23',
            'projection.hour.digits': '2',
            'storage.location.template': `${location}${FOLDER_PARTITION_TEMPLATE}/`,
          },
          partitionKeys: [
            { name: 'table', type: 'string' },
            { name: 'dt', type: 'string' },
            { name: 'hour', type: 'int' },
          ],
          storageDescriptor: {
            location,
            columns: ENVELOPE_COLUMNS.map(c => ({ name: c.name, type: c.type })),
            inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
            serdeInfo: {
              serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
              parameters: { 'serialization.format': '1' },
            },
          },
        },
      });
    }
  }
}
