package io.lakehose.config;

import io.lakehose.decode.EventTimeBounds;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import static io.lakehose.config.Parsers.instant;
import static io.lakehose.config.Parsers.longIn;

/** What input is refused rather than written (the input.* keys). */
public record InputConfig(EventTimeBounds eventTimeBounds) {

    public static final ConfigKey<Instant> EARLIEST_EVENT_TIME = new ConfigKey<>("input.earliestEventTime",
            "2012-01-01T00:00:00Z", instant(), "A record whose event time is earlier goes to the error output "
                    + "(event_time_out_of_range), never to a partition of its own.");
    public static final ConfigKey<Long> MAX_AHEAD_SECONDS = new ConfigKey<>("input.maxEventTimeAheadSeconds",
            "86400", longIn(0, 31_536_000), "A record whose event time is further ahead of the worker's clock goes to "
                    + "the error output (event_time_out_of_range): clock skew allowed, not a forged year 3000.");

    static final Section<InputConfig> SECTION = new Section<>("input", List.of(EARLIEST_EVENT_TIME, MAX_AHEAD_SECONDS),
            v -> new InputConfig(new EventTimeBounds(ChronoUnit.MICROS.between(Instant.EPOCH, v.get(EARLIEST_EVENT_TIME)),
                    v.get(MAX_AHEAD_SECONDS) * 1_000_000L)));
}
