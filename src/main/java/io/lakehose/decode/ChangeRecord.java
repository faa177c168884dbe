package io.lakehose.decode;

/**
 * A decoded DynamoDB change: the envelope fields of docs/design.md, "Envelope schema", with the item images
 * already converted to plain JSON (UTF-8 bytes).
 *
 * <p>{@code newImageOffset/newImageLength} point at the NewImage object in the source record's
 * bytes, still in DynamoDB's typed encoding, so a typed schema can read attribute types that
 * plain JSON no longer shows (SS vs L, B vs S); -1 when there is no NewImage.
 *
 * @param eventTimeMicros ApproximateCreationDateTime in epoch microseconds (UTC)
 * @param userIdentity    userIdentity.principalId, or null
 * @param sizeBytes       dynamodb.SizeBytes, or null
 */
public record ChangeRecord(
        String eventId,
        String eventName,
        String tableName,
        String awsRegion,
        long eventTimeMicros,
        String userIdentity,
        byte[] keysJson,
        byte[] newImageJson,
        byte[] oldImageJson,
        Long sizeBytes,
        SourceRecord source,
        int newImageOffset,
        int newImageLength) {

    public static final String TTL_PRINCIPAL = "dynamodb.amazonaws.com";

    /** The same change with another arrival time on its source record. */
    public ChangeRecord withArrival(long arrivalMicros) {
        SourceRecord s = new SourceRecord(source.shardId(), source.sequence(), arrivalMicros,
                source.data(), source.offset(), source.length());
        return new ChangeRecord(eventId, eventName, tableName, awsRegion, eventTimeMicros, userIdentity, keysJson,
                newImageJson, oldImageJson, sizeBytes, s, newImageOffset, newImageLength);
    }

    /** A REMOVE made by DynamoDB's TTL process rather than by a user. */
    public boolean isTtlDelete() {
        return "REMOVE".equals(eventName) && TTL_PRINCIPAL.equals(userIdentity);
    }
}
