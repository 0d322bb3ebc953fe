package io.convzoo.serving.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * libtorch's op profiler around one piece of work (DJL's {@code JniUtils.startProfile}/{@code stopProfile},
 * a Chrome trace file), and the trace read back as time per op. Ops nest (aten::conv2d calls
 * aten::convolution, ... aten::mkldnn_convolution), so each op is charged its SELF time (its duration less
 * its direct children's): the totals of our eager forward and of a TorchScript module's single "forward"
 * event then compare kernel by kernel. The span (first event's start to last event's end) less the busy
 * time (the top-level events' durations) is the time between ops: Java and JNI.
 */
public final class OpProfile {

    /** One op name's calls and self time. */
    public record OpTotal(String name, int calls, double selfMillis) {}

    /** A trace read back: span, busy time, and self time per op name (largest first). */
    public record Summary(double spanMillis, double busyMillis, Map<String, OpTotal> ops) {
        /** Time between top-level ops (not inside any profiled op). */
        public double gapMillis() {
            return spanMillis - busyMillis;
        }
    }

    private OpProfile() {}

    /**
     * Runs {@code work} under libtorch's profiler (op shapes not recorded), writes the trace to {@code file} and
     * returns what the work returned.
     */
    public static <T> T record(Path file, Supplier<T> work) {
        Method start = jniUtils("startProfile", boolean.class, boolean.class, boolean.class);
        Method stop = jniUtils("stopProfile", String.class);
        invoke(start, false, false, false);
        try {
            return work.get();
        } finally {
            invoke(stop, file.toAbsolutePath().toString());
        }
    }

    private static Method jniUtils(String name, Class<?>... parameters) {
        try {
            return Class.forName("ai.djl.pytorch.jni.JniUtils").getMethod(name, parameters);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("op profiling needs DJL's PyTorch engine (ai.djl.pytorch.jni.JniUtils."
                    + name + " not found)", e);
        }
    }

    private static void invoke(Method method, Object... args) {
        try {
            method.invoke(null, args);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("libtorch profiler: " + e.getCause().getMessage(), e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("libtorch profiler: " + e.getMessage(), e);
        }
    }

    /** Reads a Chrome trace written by {@link #record} (complete events, "ph": "X", times in microseconds). */
    public static Summary read(Path file) throws IOException {
        JsonElement root;
        try (Reader reader = Files.newBufferedReader(file)) {
            root = JsonParser.parseReader(reader);
        } catch (JsonParseException e) {
            throw new IOException("not a Chrome trace (JSON): " + file + ": " + e.getMessage(), e);
        }
        JsonArray events = root.isJsonObject() && root.getAsJsonObject().has("traceEvents")
                ? root.getAsJsonObject().getAsJsonArray("traceEvents")
                : root.isJsonArray() ? root.getAsJsonArray() : null;
        if (events == null) {
            throw new IOException("not a Chrome trace (no traceEvents array): " + file);
        }
        List<Event> complete = new ArrayList<>();
        for (JsonElement e : events) {
            JsonObject o = e.getAsJsonObject();
            if (o.has("ph") && "X".equals(o.get("ph").getAsString())) {
                complete.add(new Event(o.get("name").getAsString(), o.has("tid") ? o.get("tid").getAsString() : "",
                        o.get("ts").getAsDouble(), o.get("dur").getAsDouble()));
            }
        }
        return summarize(complete);
    }

    /** One complete event: name, thread, start and duration (microseconds). */
    record Event(String name, String thread, double start, double duration) {
        double end() {
            return start + duration;
        }
    }

    /**
     * The per-op median of several profiles of the same work (one profiled forward moves by ±10% on a shared
     * machine): median calls and self time of each op seen in any of them (0 where one lacks it), median span
     * and busy time.
     */
    public static Summary median(List<Summary> profiles) {
        if (profiles.isEmpty()) {
            throw new IllegalArgumentException("no profiles to take the median of");
        }
        Set<String> names = new LinkedHashSet<>();
        profiles.forEach(p -> names.addAll(p.ops().keySet()));
        List<OpTotal> totals = new ArrayList<>();
        for (String name : names) {
            OpTotal absent = new OpTotal(name, 0, 0);
            double[] calls = profiles.stream().mapToDouble(p -> p.ops().getOrDefault(name, absent).calls()).toArray();
            double[] self = profiles.stream().mapToDouble(p -> p.ops().getOrDefault(name, absent).selfMillis()).toArray();
            totals.add(new OpTotal(name, (int) Math.round(InferenceBench.median(calls)), InferenceBench.median(self)));
        }
        return new Summary(InferenceBench.median(profiles.stream().mapToDouble(Summary::spanMillis).toArray()),
                InferenceBench.median(profiles.stream().mapToDouble(Summary::busyMillis).toArray()), largestFirst(totals));
    }

    /** {@code totals} by name, the largest self time first (ties by name); of totals of one name, the first placed. */
    static Map<String, OpTotal> largestFirst(List<OpTotal> totals) {
        Map<String, OpTotal> ops = new LinkedHashMap<>();
        totals.stream().sorted(Comparator.comparingDouble((OpTotal t) -> -t.selfMillis()).thenComparing(OpTotal::name))
                .forEach(t -> ops.put(t.name(), t));
        return ops;
    }

    static Summary summarize(List<Event> events) {
        if (events.isEmpty()) {
            return new Summary(0, 0, Map.of());
        }
        List<Event> sorted = new ArrayList<>(events);
        // Parents before their children: by thread, then start, the longer first at equal starts.
        sorted.sort(Comparator.comparing(Event::thread).thenComparingDouble(Event::start)
                .thenComparing(Comparator.comparingDouble(Event::duration).reversed()));
        Map<Event, Double> childTime = new IdentityHashMap<>(); // equal events may repeat
        Deque<Event> open = new ArrayDeque<>();
        double busy = 0;
        double first = Double.MAX_VALUE;
        double last = -Double.MAX_VALUE;
        for (Event e : sorted) {
            while (!open.isEmpty() && (!open.peek().thread().equals(e.thread()) || open.peek().end() <= e.start())) {
                open.pop();
            }
            if (open.isEmpty()) {
                busy += e.duration();
            } else {
                childTime.merge(open.peek(), e.duration(), Double::sum);
            }
            open.push(e);
            first = Math.min(first, e.start());
            last = Math.max(last, e.end());
        }
        Map<String, double[]> byName = new HashMap<>(); // name -> {calls, self microseconds}
        for (Event e : sorted) {
            double[] t = byName.computeIfAbsent(e.name(), k -> new double[2]);
            t[0]++;
            t[1] += Math.max(0, e.duration() - childTime.getOrDefault(e, 0.0));
        }
        List<OpTotal> totals = new ArrayList<>();
        byName.forEach((name, t) -> totals.add(new OpTotal(name, (int) t[0], t[1] / 1e3)));
        return new Summary((last - first) / 1e3, busy / 1e3, largestFirst(totals));
    }
}
