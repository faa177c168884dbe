-- Every change once after a migration from Firehose: the stream's row where the converted
-- archive (shard_id 'local-<input>'; 'local' from the release before) holds the same event_id too.
SELECT *
FROM read_parquet('lake/table=orders/**/*.parquet', hive_partitioning = true) l
WHERE l.shard_id NOT LIKE 'local%'
   OR NOT EXISTS (SELECT 1
                  FROM read_parquet('lake/table=orders/**/*.parquet', hive_partitioning = true) s
                  WHERE s.event_id = l.event_id AND s.shard_id NOT LIKE 'local%');
