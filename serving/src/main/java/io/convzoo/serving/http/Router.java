package io.convzoo.serving.http;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Routes by method and path template ({@code /models/{model}}): a path no route has is 404, a known
 * path with another method 405 naming the allowed ones. Each route says which token it needs.
 */
final class Router {

    /** Answers one matched request; returns the status sent. */
    interface Handler {
        int handle(HttpCall call);
    }

    record Route(String method, String[] template, AccessPolicy.Scope scope, Handler handler) {
        boolean matchesPath(String[] segments) {
            if (segments.length != template.length) {
                return false;
            }
            for (int i = 0; i < template.length; i++) {
                if (!template[i].startsWith("{") && !template[i].equals(segments[i])) {
                    return false;
                }
            }
            return true;
        }

        void bind(HttpCall call) {
            for (int i = 0; i < template.length; i++) {
                if (template[i].startsWith("{")) {
                    call.bindPath(template[i].substring(1, template[i].length() - 1), call.segments[i]);
                }
            }
        }
    }

    private final List<Route> routes = new ArrayList<>();
    private final String hint;

    /** @param hint endpoints a 404 suggests */
    Router(String hint) {
        this.hint = hint;
    }

    Router add(String method, String template, AccessPolicy.Scope scope, Handler handler) {
        String[] parts = java.util.Arrays.stream(template.split("/")).filter(s -> !s.isEmpty()).toArray(String[]::new);
        routes.add(new Route(method, parts, scope, handler));
        return this;
    }

    /** The methods some route takes on this path (empty: no such path). */
    Set<String> methodsFor(String[] segments) {
        Set<String> methods = new LinkedHashSet<>();
        for (Route r : routes) {
            if (r.matchesPath(segments)) {
                methods.add(r.method());
            }
        }
        return methods;
    }

    /** The route for a call, its path parameters bound; 404 or 405 otherwise. */
    Route match(HttpCall call) {
        for (Route r : routes) {
            if (r.method().equals(call.method) && r.matchesPath(call.segments)) {
                r.bind(call);
                return r;
            }
        }
        Set<String> allowed = methodsFor(call.segments);
        if (!allowed.isEmpty()) {
            call.exchange.getResponseHeaders().set("Allow", String.join(", ", allowed));
            throw new HttpError(405, "MethodNotAllowed", call.method + " is not allowed here; use "
                    + String.join(" or ", allowed));
        }
        throw new HttpError(404, "NotFound", "no such endpoint: " + call.method + " "
                + call.exchange.getRequestURI().getRawPath() + " (" + hint + ")");
    }
}
