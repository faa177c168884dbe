-- Current state of the DynamoDB table `orders` (partition key `id`) from the lake:
-- SNAPSHOT rows of a backfill plus every change after it. Latest row per key wins;
-- an item whose latest row is a REMOVE is gone. Composite keys: add keys ->> 'sk'.
SELECT id, new_image
FROM (
    SELECT keys ->> 'id' AS id,
           event_name,
           new_image,
           row_number() OVER (
               PARTITION BY keys ->> 'id'
               ORDER BY event_time DESC,
                        event_name <> 'SNAPSHOT' DESC,                   -- a change at the snapshot time is newer
                        length(sequence_number) DESC, sequence_number DESC -- same time: stream order
           ) AS newest
    FROM read_parquet('lake/table=orders/**/*.parquet', hive_partitioning = true)
)
WHERE newest = 1 AND event_name <> 'REMOVE'
ORDER BY id;
