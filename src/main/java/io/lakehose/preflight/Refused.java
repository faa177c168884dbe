package io.lakehose.preflight;

import io.lakehose.preflight.CheckResult.Failure;
import io.lakehose.preflight.CheckResult.Fix;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;

import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/** An AWS call a check made that did not succeed: which IAM action, on which resource, and AWS's answer. */
final class Refused extends Exception {

    /** Codes that mean "these credentials are not valid here", not "this principal may not". */
    private static final Set<String> BAD_CREDENTIALS = Set.of("InvalidAccessKeyId", "SignatureDoesNotMatch",
            "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
            "InvalidSignatureException", "IncompleteSignature", "MissingAuthenticationToken", "InvalidToken");

    final String action;
    final String resource;
    final String code;
    final String awsMessage;
    final int httpStatus;

    private Refused(String action, String resource, String code, String awsMessage, int httpStatus, Throwable cause) {
        super(action + " on " + resource + ": " + code, cause, false, false);
        this.action = action;
        this.resource = resource;
        this.code = code;
        this.awsMessage = awsMessage == null ? "" : awsMessage;
        this.httpStatus = httpStatus;
    }

    /** Runs one AWS call that needs {@code action} on {@code resource}. */
    static <T> T call(String action, String resource, Supplier<T> call) throws Refused {
        try {
            return call.get();
        } catch (AwsServiceException e) {
            String code = e.awsErrorDetails() == null || e.awsErrorDetails().errorCode() == null
                    ? "HTTP " + e.statusCode() : e.awsErrorDetails().errorCode();
            String message = e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage();
            throw new Refused(action, resource, code, message, e.statusCode(), e);
        } catch (SdkException e) {
            // Client side: endpoint unreachable, timeout, no credentials found.
            throw new Refused(action, resource, e.getClass().getSimpleName(), e.getMessage(), 0, e);
        }
    }

    boolean badCredentials() {
        return BAD_CREDENTIALS.contains(code);
    }

    /** Refused by authorization: an explicit AccessDenied code, or any other 403 that is not about the credentials. */
    boolean denied() {
        return !badCredentials() && (code.equals("AccessDenied") || code.equals("AccessDeniedException")
                || httpStatus == 403);
    }

    boolean is(String errorCode) {
        return code.equals(errorCode);
    }

    /**
     * The failure to report: for a denial, {@code whyDenied} and {@code fixes}; for bad credentials or
     * an unreachable endpoint, what that means; for other codes, what {@code otherCodes} says (null:
     * AWS's message alone).
     */
    Failure failure(String whyDenied, List<Fix> fixes, Function<Refused, String> otherCodes) {
        if (badCredentials()) {
            return failure("the credentials lakehose runs with are not valid for this endpoint (" + code
                    + "): not a missing permission. Check which credentials the default chain finds "
                    + "(environment, profile, ECS task role) and the endpoint/region settings.", List.of());
        }
        if (denied()) {
            return failure(whyDenied, fixes);
        }
        if (httpStatus == 0) {
            return failure("the call did not reach AWS (" + code + "): check the region, the endpoint "
                    + "override and the network path (VPC endpoint, proxy).", List.of());
        }
        String other = otherCodes.apply(this);
        return failure(other == null ? "AWS refused the call with " + code + "." : other, List.of());
    }

    Failure failure(String explanation, List<Fix> fixes) {
        return new Failure(action, resource, code, awsMessage, explanation, fixes);
    }
}
