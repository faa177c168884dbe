-- Changes that are in the lake twice after a migration from Firehose: once from the converted
-- archive (shard_id 'local-<input>', one per input converted; 'local' from the release before)
-- and once read from the stream (a Kinesis shard id), same event_id.
SELECT a.event_id, a.event_time, a.sequence_number AS archive_sequence, s.shard_id, s.sequence_number
FROM read_parquet('lake/table=orders/**/*.parquet', hive_partitioning = true) a
JOIN read_parquet('lake/table=orders/**/*.parquet', hive_partitioning = true) s
  ON a.event_id = s.event_id
WHERE a.shard_id LIKE 'local%' AND s.shard_id NOT LIKE 'local%'
ORDER BY a.event_time, a.event_id;
