import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { ENVELOPE_COLUMNS, FOLDER_TABLE_NAME } from '../lib/lake-catalog';
import { LakehosePipelineStack } from '../lib/pipeline-stack';
import { ENV } from '../lib/settings';
import {
  actionsOf, allRoleStatements, containerOf, envOf, Json, logicalIdOf, REPO_ROOT, resourcesOfType, statementsOfRole,
  statementWithSid, synthPipeline, taskRoleLogicalId,
} from './support';

const JAVA = path.join(REPO_ROOT, 'src', 'main', 'java', 'io', 'lakehose');

/**
 * The envelope's columns as the service writes them, read from encode/EnvelopeSchema.java: the
 * field constants in the order build() adds them, and the Glue type of each builder call.
 */
function envelopeFromJava(): { name: string; type: string }[] {
  const text = fs.readFileSync(path.join(JAVA, 'encode', 'EnvelopeSchema.java'), 'utf8');
  const constants = Object.fromEntries([...text.matchAll(/public static final String (\w+) = "([^"]+)";/g)].map(m => [m[1], m[2]]));
  const build = text.slice(text.indexOf('private static Schema build()'));
  const fields = [...build.matchAll(/\.(requiredString|optionalString|requiredLong|optionalLong|name)\((\w+)\)(\.type\((\w+)\(\)\))?/g)];
  expect(fields.length).toBeGreaterThan(10);
  return fields.map(m => {
    const type = m[1].endsWith('String') ? 'string' : m[1].endsWith('Long') ? 'bigint'
      : m[4] === 'timestampMicros' ? 'timestamp' : `unknown: ${m[0]}`;
    return { name: constants[m[2]], type };
  });
}

/** partition.LakeLayout.DEFAULT_TEMPLATE, the data directories under the lake prefix. */
function defaultTemplateFromJava(): string {
  const text = fs.readFileSync(path.join(JAVA, 'partition', 'LakeLayout.java'), 'utf8');
  const m = /DEFAULT_TEMPLATE = "([^"]+)";/.exec(text);
  expect(m).not.toBeNull();
  return m![1];
}

let stack: LakehosePipelineStack;
let template: Template;
let table: Json;

beforeAll(() => {
  ({ stack, template } = synthPipeline());
  const tables = Object.values(resourcesOfType(template, 'AWS::Glue::Table'));
  expect(tables).toHaveLength(1);
  table = tables[0].Properties;
});

describe('Glue catalog of the folder layout (Athena without a crawler)', () => {
  test('a database named after the application, the folder table in it', () => {
    template.hasResourceProperties('AWS::Glue::Database', { CatalogId: '111111111111', DatabaseInput: { Name: 'lakehose' } });
    expect(table.DatabaseName).toEqual({ Ref: logicalIdOf(stack, stack.catalog!.database) });
    expect(table.TableInput.Name).toBe(FOLDER_TABLE_NAME);
    // The change-log tables are <name>_changes: the folder table's name is never one of them.
    expect(FOLDER_TABLE_NAME.endsWith('_changes')).toBe(false);
    expect(table.TableInput.TableType).toBe('EXTERNAL_TABLE');
  });

  test('its columns are the envelope the service writes, in order, with matching types', () => {
    const java = envelopeFromJava();
    expect(java.map(c => c.name)).toContain('event_time');
    expect(table.TableInput.StorageDescriptor.Columns).toEqual(java.map(c => ({ Name: c.name, Type: c.type })));
    expect(ENVELOPE_COLUMNS).toEqual(java);
  });

  test('Parquet, read through Hive\'s Parquet SerDe', () => {
    const sd = table.TableInput.StorageDescriptor;
    expect(sd.SerdeInfo.SerializationLibrary).toBe('org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
    expect(sd.InputFormat).toBe('org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat');
    expect(table.TableInput.Parameters.classification).toBe('parquet');
  });

  test('partitions table, dt and hour are projected from the layout the service writes, under the data prefix only', () => {
    const p = table.TableInput.Parameters;
    expect(table.TableInput.PartitionKeys).toEqual([
      { Name: 'table', Type: 'string' }, { Name: 'dt', Type: 'string' }, { Name: 'hour', Type: 'int' },
    ]);
    expect(p['projection.enabled']).toBe('true');
    // LakeLayout writes {date} as LocalDate.toString() (yyyy-MM-dd) and {hour} with two digits.
    expect(p['projection.dt.type']).toBe('date');
    expect(p['projection.dt.format']).toBe('yyyy-MM-dd');
    expect(p['projection.dt.range']).toBe('2025-01-01,NOW+1DAYS');
    expect([p['projection.hour.type'], p['projection.hour.range'], p['projection.hour.digits']]).toEqual(['integer', '0,23', '2']);
    // The source table's name is the only `table` value: queries need no filter on it.
    expect(p['projection.table.type']).toBe('enum');
    expect(p['projection.table.values']).toEqual({ Ref: logicalIdOf(stack, stack.sourceTable) });
    const bucket = { Ref: logicalIdOf(stack, stack.lake!.bucket) };
    const projected = defaultTemplateFromJava()
      .replace('{table}', '${table}').replace('{date}', '${dt}').replace('{hour}', '${hour}');
    expect(p['storage.location.template']).toEqual({ 'Fn::Join': ['', ['s3://', bucket, `/cdc/${projected}/`]] });
    expect(table.TableInput.StorageDescriptor.Location).toEqual({ 'Fn::Join': ['', ['s3://', bucket, '/cdc/']] });
    // The error output (errors/, JSON lines) is never read as data.
    expect(JSON.stringify(table)).not.toContain('errors');
    // Every placeholder is a partition key, every partition key is projected.
    const placeholders = [...projected.matchAll(/\$\{(\w+)\}/g)].map(m => m[1]);
    expect(placeholders).toEqual(table.TableInput.PartitionKeys.map((k: Json) => k.Name));
  });

  test('more tables, another start day, another database', () => {
    const { stack: s, template: t } = synthPipeline({ lakeTables: ['orders'], lakeStartDate: '2026-06-01', glueDatabase: 'cdc_lake' });
    const p = Object.values(resourcesOfType(t, 'AWS::Glue::Table'))[0].Properties.TableInput.Parameters;
    expect(p['projection.table.values']).toEqual({ 'Fn::Join': ['', [{ Ref: logicalIdOf(s, s.sourceTable) }, ',orders']] });
    expect(p['projection.dt.range']).toBe('2026-06-01,NOW+1DAYS');
    t.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'cdc_lake' } });
    expect(() => synthPipeline({ lakeStartDate: '1 June' })).toThrow(/lakeStartDate '1 June' must be a day as yyyy-MM-dd/);
    expect(() => synthPipeline({ glueDatabase: 'Cdc-Lake' })).toThrow(/glueDatabase 'Cdc-Lake'/);
    expect(() => synthPipeline({ lakeTables: ['a b'] })).toThrow(/lake table 'a b'/);
  });

  test('folders only: the service has no Glue permission and no Iceberg settings', () => {
    for (const { statements } of Object.values(allRoleStatements(template))) {
      expect(actionsOf(statements).filter(a => a.startsWith('glue:'))).toEqual([]);
    }
    const env = envOf(containerOf(template));
    expect([ENV.lakeFormat, ENV.icebergCatalog, ENV.icebergNamespace].filter(k => k in env)).toEqual([]);
  });
});

describe('Iceberg change-log tables through the Glue catalog (lakeFormat iceberg or both)', () => {
  let iceberg: { stack: LakehosePipelineStack; template: Template };
  beforeAll(() => {
    iceberg = synthPipeline({ lakeFormat: 'iceberg' });
  });

  test('the service is configured for Iceberg\'s GlueCatalog on the stack\'s database, warehouse in the lake bucket', () => {
    const env = envOf(containerOf(iceberg.template));
    const bucket = { Ref: logicalIdOf(iceberg.stack, iceberg.stack.lake!.bucket) };
    expect(env[ENV.lakeFormat]).toBe('iceberg');
    expect(env[ENV.icebergNamespace]).toBe('lakehose');
    expect(env[ENV.icebergCatalog]).toEqual({ 'Fn::Join': ['', ['type=glue,warehouse=s3://', bucket, '/warehouse']] });
    // No folder table with lakeFormat iceberg; `both` has one.
    expect(resourcesOfType(iceberg.template, 'AWS::Glue::Table')).toEqual({});
    expect(Object.keys(resourcesOfType(synthPipeline({ lakeFormat: 'both' }).template, 'AWS::Glue::Table'))).toHaveLength(1);
  });

  test('run may read, create and commit tables of its database (no database creation), and write, read and delete in the warehouse only', () => {
    const { template: t } = iceberg;
    const statements = statementsOfRole(t, taskRoleLogicalId(t, 'run'));
    const glueArn = (resource: string) => `arn:aws:glue:eu-west-1:111111111111:${resource}`;
    expect(statementWithSid(statements, 'IcebergCatalogTables')).toEqual(expect.objectContaining({
      Action: ['glue:CreateTable', 'glue:GetDatabase', 'glue:GetTable', 'glue:UpdateTable'],
      Resource: [glueArn('catalog'), glueArn('database/lakehose'), glueArn('table/lakehose/*')],
    }));
    expect(statementWithSid(statements, 'IcebergCatalogListDatabases')).toEqual(expect.objectContaining({
      Action: 'glue:GetDatabases', Resource: [glueArn('catalog'), glueArn('database/*')],
    }));
    const bucketArn = { 'Fn::GetAtt': [logicalIdOf(iceberg.stack, iceberg.stack.lake!.bucket), 'Arn'] };
    expect(statementWithSid(statements, 'IcebergWarehouseObjects')).toEqual(expect.objectContaining({
      Action: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'],
      Resource: { 'Fn::Join': ['', [bucketArn, '/warehouse/*']] },
    }));
    expect(statementWithSid(statements, 'LakeListPrefixes').Condition).toEqual({
      StringLike: { 's3:prefix': ['cdc/*', 'errors/*', 'warehouse/*'] },
    });
    // Deletes only in the warehouse; Glue only for run; nobody creates or deletes databases.
    for (const s of statements.filter(x => JSON.stringify(x.Action).includes('s3:DeleteObject'))) {
      expect(JSON.stringify(s.Resource)).toContain('/warehouse/*');
    }
    for (const [role, { statements: st }] of Object.entries(allRoleStatements(t))) {
      const glue = actionsOf(st).filter(a => a.startsWith('glue:'));
      expect({ role, glue: glue.filter(a => /Delete|CreateDatabase/.test(a)) }).toEqual({ role, glue: [] });
      if (role !== taskRoleLogicalId(t, 'run')) {
        expect({ role, glue }).toEqual({ role, glue: [] });
      }
    }
  });

  test('the S3 endpoint lets Iceberg\'s deletes through; a cross-account lake cannot be Iceberg (S3FileIO writes with the task role)', () => {
    const s3 = Object.values(resourcesOfType(iceberg.template, 'AWS::EC2::VPCEndpoint'))
      .find((e: Json) => JSON.stringify(e.Properties.ServiceName).includes('.s3'));
    expect(JSON.stringify(s3.Properties.PolicyDocument)).toContain('s3:DeleteObject');
    const crossAccountLake = {
      bucketName: 'b', keyArn: 'arn:aws:kms:eu-west-1:222222222222:key/k', writerRoleArn: 'arn:aws:iam::222222222222:role/w',
    };
    expect(() => synthPipeline({ lakeFormat: 'iceberg', crossAccountLake })).toThrow(/lakeFormat iceberg with crossAccountLake/);
  });
});

describe('the README\'s Athena queries', () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Athena\n'), readme.indexOf('\n## `convert`'));
  const query = (file: string) => fs.readFileSync(path.join(REPO_ROOT, 'config', 'queries', file), 'utf8');

  test('are the files under config/queries, over the tables this stack defines', () => {
    const blocks = [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map(m => m[1]);
    expect(blocks).toEqual([query('current-state.athena.sql'), query('current-state.iceberg.athena.sql')]);
    // Folders: the projected table, filtered on its (quoted) table partition.
    expect(blocks[0]).toContain(`FROM lakehose.${FOLDER_TABLE_NAME}`);
    expect(blocks[0]).toContain(`"table" = 'orders'`);
    // Iceberg: <namespace>.<table>_changes (docs/design.md, "Tables (Apache Iceberg)").
    expect(blocks[1]).toContain('FROM lakehose.orders_changes');
    // Current state: newest change per key, REMOVE excluded, in both.
    for (const b of blocks) {
      expect(b).toMatch(/row_number\(\) OVER \(\s*PARTITION BY json_extract_scalar\(keys, '\$\.id'\)\s*ORDER BY event_time DESC/);
      expect(b).toContain("WHERE newest = 1 AND event_name <> 'REMOVE'");
    }
  });
});
