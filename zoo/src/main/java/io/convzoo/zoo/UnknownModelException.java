package io.convzoo.zoo;

import java.util.List;

/** An id that names no registered model; the message lists the closest ids. */
public class UnknownModelException extends IllegalArgumentException {

    private final String id;
    private final List<String> suggestions;

    public UnknownModelException(String id, List<String> suggestions) {
        super("unknown model '" + id + "'" + (suggestions.isEmpty() ? "" : "; did you mean " + String.join(", ", suggestions) + "?")
                + " (bin/convzoo models lists every id)");
        this.id = id;
        this.suggestions = List.copyOf(suggestions);
    }

    public String getId() {
        return id;
    }

    public List<String> getSuggestions() {
        return suggestions;
    }
}
