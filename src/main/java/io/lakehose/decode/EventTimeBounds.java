package io.lakehose.decode;

/**
 * The event times a record may have: not before {@code earliestMicros}, not more than
 * {@code maxAheadMicros} ahead of the worker's clock. Outside them a record is an error
 * ({@code event_time_out_of_range}), never a new partition (docs/design.md, "Input").
 */
public record EventTimeBounds(long earliestMicros, long maxAheadMicros) {

    /** 2012-01-01T00:00:00Z (DynamoDB Streams did not exist before) and one day of clock skew. */
    public static final EventTimeBounds DEFAULT = new EventTimeBounds(1_325_376_000_000_000L, 86_400_000_000L);

    boolean allows(long micros, long nowMicros) {
        return micros >= earliestMicros && micros - nowMicros <= maxAheadMicros;
    }
}
