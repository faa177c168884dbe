-- The same on Athena (Trino), over a table `orders` defined on s3://<bucket>/<prefix>/table=orders/
-- (Glue crawler or partition projection on dt and hour).
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
    FROM orders
)
WHERE newest = 1 AND event_name <> 'REMOVE'
ORDER BY id;
