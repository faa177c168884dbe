-- Current state of `orders` from its Iceberg change-log table.
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
    FROM lakehose.orders_changes
)
WHERE newest = 1 AND event_name <> 'REMOVE'
ORDER BY id;

-- The change log of one item over a day, oldest first.
SELECT event_time, event_name, new_image, old_image
FROM lakehose.orders_changes
WHERE event_time >= TIMESTAMP '2026-12-07 00:00:00 UTC' AND event_time < TIMESTAMP '2026-12-08 00:00:00 UTC'
  AND json_extract_scalar(keys, '$.id') = '864732'
ORDER BY event_time, length(sequence_number), sequence_number;
