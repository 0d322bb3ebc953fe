package io.convzoo.serving.grpc;

import io.convzoo.serving.api.BadInputException;
import io.convzoo.serving.api.ModelNotServedException;
import io.convzoo.serving.api.QueueFullException;
import io.convzoo.serving.api.RequestTimeoutException;
import io.convzoo.serving.api.ServiceClosedException;
import io.convzoo.serving.api.ServingException;
import io.grpc.Status;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** The gRPC status of each failure of the {@link io.convzoo.serving.api.InferenceService}. */
final class GrpcStatuses {

    private GrpcStatuses() {}

    static Status of(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        Status code;
        if (t instanceof ModelNotServedException) {
            code = Status.NOT_FOUND;
        } else if (t instanceof BadInputException) {
            code = Status.INVALID_ARGUMENT;
        } else if (t instanceof QueueFullException) {
            code = Status.RESOURCE_EXHAUSTED;
        } else if (t instanceof RequestTimeoutException) {
            code = Status.DEADLINE_EXCEEDED;
        } else if (t instanceof ServiceClosedException) {
            code = Status.UNAVAILABLE;
        } else if (t instanceof ServingException s) {
            code = s.status() == 404 ? Status.NOT_FOUND
                    : s.status() == 503 ? Status.UNAVAILABLE
                    : s.status() >= 400 && s.status() < 500 ? Status.INVALID_ARGUMENT
                    : Status.INTERNAL;
        } else {
            return Status.INTERNAL.withDescription("internal error: " + t).withCause(t);
        }
        return code.withDescription(t.getMessage());
    }
}
