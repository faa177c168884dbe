package io.lakehose.preflight;

import java.util.List;
import java.util.Optional;

/**
 * The outcome of one preflight check.
 *
 * @param check   short name of the check (e.g. {@code stream})
 * @param status  what happened
 * @param detail  one line: what was checked, or what went wrong
 * @param failure for FAIL (and a WARN that needs a permission): the missing permission and its fix
 */
public record CheckResult(String check, Status status, String detail, Optional<Failure> failure) {

    /** PASS and WARN keep the exit code 0; FAIL makes it 1; SKIP means nothing to check. */
    public enum Status { PASS, WARN, FAIL, SKIP }

    static CheckResult pass(String check, String detail) {
        return new CheckResult(check, Status.PASS, detail, Optional.empty());
    }

    static CheckResult skip(String check, String reason) {
        return new CheckResult(check, Status.SKIP, reason, Optional.empty());
    }

    static CheckResult fail(String check, Failure failure) {
        return new CheckResult(check, Status.FAIL, failure.summary(), Optional.of(failure));
    }

    static CheckResult warn(String check, Failure failure) {
        return new CheckResult(check, Status.WARN, failure.summary(), Optional.of(failure));
    }

    /**
     * What is missing, on which resource, and the statements that fix it.
     *
     * @param action      the IAM action that was refused or could not be shown (e.g. {@code s3:PutObject});
     *                    empty when the problem is not a permission (a missing stream)
     * @param resource    ARN of the resource the action was called on
     * @param errorCode   AWS's error code (e.g. {@code AccessDenied}), or the client-side exception
     * @param awsMessage  AWS's own message, verbatim
     * @param explanation what it means, in our words (AWS's message can mislead: see LakeBucketCheck)
     * @param fixes       where to add which statement
     */
    public record Failure(String action, String resource, String errorCode, String awsMessage, String explanation,
                          List<Fix> fixes) {
        String summary() {
            return (action.isEmpty() ? "" : action + " on " + resource + ": ")
                    + errorCode + (awsMessage.isBlank() ? "" : " (" + awsMessage + ")");
        }
    }

    /**
     * One policy statement to add.
     *
     * @param where     which policy: the caller's IAM policy, a key policy, a role's trust policy
     * @param statement the statement as JSON
     */
    public record Fix(String where, String statement) {
    }
}
