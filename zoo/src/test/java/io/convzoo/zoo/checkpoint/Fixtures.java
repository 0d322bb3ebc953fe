package io.convzoo.zoo.checkpoint;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;

/** The fixtures of tools/make_checkpoint_fixtures.py and the values PyTorch saved in expected.json. */
final class Fixtures {

    private static JsonObject expected;

    private Fixtures() {}

    static Path file(String name) {
        URL url = Fixtures.class.getClassLoader().getResource("checkpoints/" + name);
        if (url == null) {
            throw new IllegalStateException("missing fixture checkpoints/" + name
                    + "; run /usr/bin/python3 tools/make_checkpoint_fixtures.py");
        }
        try {
            return Paths.get(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static synchronized JsonObject expected() {
        if (expected == null) {
            try (InputStream in = Fixtures.class.getClassLoader().getResourceAsStream("checkpoints/expected.json")) {
                expected = JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return expected;
    }

    /** Expected tensors of one fixture file: key -> {dtype, shape, values}. */
    static JsonObject tensorsOf(String file) {
        return expected().getAsJsonObject(file);
    }

    static long[] shape(JsonObject tensor) {
        JsonArray a = tensor.getAsJsonArray("shape");
        long[] s = new long[a.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = a.get(i).getAsLong();
        }
        return s;
    }

    static float[] floats(JsonObject tensor) {
        JsonArray a = tensor.getAsJsonArray("values");
        float[] v = new float[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) a.get(i).getAsDouble();
        }
        return v;
    }

    static long[] longs(JsonObject tensor) {
        JsonArray a = tensor.getAsJsonArray("values");
        long[] v = new long[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).getAsLong();
        }
        return v;
    }
}
