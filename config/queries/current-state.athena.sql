-- The DynamoDB table `orders` (partition key `id`) as it is now, from the change log in the
-- folder layout (table lakehose.changes, partitions projected). A backfill's SNAPSHOT rows count
-- as older than a change at the same time. Composite keys: add the sort key to both key lists.
SELECT id, new_image
FROM (
    SELECT json_extract_scalar(keys, '$.id') AS id,
           event_name,
           new_image,
           row_number() OVER (
               PARTITION BY json_extract_scalar(keys, '$.id')
               ORDER BY event_time DESC,
                        CASE WHEN event_name = 'SNAPSHOT' THEN 0 ELSE 1 END DESC,
                        length(sequence_number) DESC, sequence_number DESC
           ) AS newest
    FROM lakehose.changes
    WHERE "table" = 'orders'
)
WHERE newest = 1 AND event_name <> 'REMOVE'
ORDER BY id;
