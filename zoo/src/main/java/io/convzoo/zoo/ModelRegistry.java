package io.convzoo.zoo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/** Every variant of every family, by id; the families' variant tables are the {@link ModelFamily} services. */
public final class ModelRegistry {

    private static final Map<String, ModelSpec> SPECS = load();

    private ModelRegistry() {}

    private static Map<String, ModelSpec> load() {
        Map<String, ModelSpec> byId = new LinkedHashMap<>();
        for (ModelFamily family : ServiceLoader.load(ModelFamily.class, ModelFamily.class.getClassLoader())) {
            for (ModelSpec spec : family.variants()) {
                if (byId.put(spec.id(), spec) != null) {
                    throw new IllegalStateException("duplicate model id " + spec.id());
                }
            }
        }
        return Collections.unmodifiableMap(byId);
    }

    /** All variants in registration order. */
    public static List<ModelSpec> all() {
        return List.copyOf(SPECS.values());
    }

    /** The variant with this id, if any. */
    public static Optional<ModelSpec> find(String id) {
        return Optional.ofNullable(SPECS.get(id));
    }

    /** The variant with this id; an unknown id names the closest known ids. */
    public static ModelSpec get(String id) {
        ModelSpec spec = SPECS.get(id);
        if (spec == null) {
            throw new UnknownModelException(id, closest(id, 3));
        }
        return spec;
    }

    /** The {@code n} known ids nearest to {@code id} by edit distance. */
    public static List<String> closest(String id, int n) {
        List<String> ids = new ArrayList<>(SPECS.keySet());
        ids.sort(Comparator.comparingInt((String known) -> editDistance(id, known)).thenComparing(k -> k));
        return ids.subList(0, Math.min(n, ids.size()));
    }

    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
