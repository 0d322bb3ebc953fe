package io.convzoo.serving.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code GET /}: the demo page; {@code GET /samples}: the bundled Fashion-MNIST sample images
 * (samples/fashion-mnist, packed into the jar) with the class each shows; {@code GET /samples/{file}}
 * one of them.
 */
final class PageHandler {

    static final String SAMPLES = "samples/";

    /** One sample image: its file, the class its name gives, and where the page fetches it. */
    record Sample(String file, String label, String url) {}

    private final byte[] page = resource("index.html");
    private final List<Sample> samples = listSamples();
    private final Map<String, byte[]> sampleBytes = new java.util.HashMap<>();

    PageHandler() {
        for (Sample s : samples) {
            sampleBytes.put(s.file(), resource(SAMPLES + s.file()));
        }
    }

    int page(HttpCall call) {
        return call.send(200, "text/html; charset=utf-8", page);
    }

    int samples(HttpCall call) {
        return call.sendJson(200, Map.of("samples", samples));
    }

    int sample(HttpCall call) {
        byte[] png = sampleBytes.get(call.path("file"));
        if (png == null) {
            throw new HttpError(404, "NotFound", "no sample '" + call.path("file") + "'; GET /samples lists them");
        }
        return call.send(200, "image/png", png);
    }

    /**
     * The samples packed next to this class, named {@code NNNNN-class-name.png} (the test-set index
     * and the class, e.g. {@code 00000-ankle-boot.png}).
     */
    private static List<Sample> listSamples() {
        URL dir = PageHandler.class.getResource(SAMPLES);
        if (dir == null) {
            return List.of();
        }
        try {
            URI uri = dir.toURI();
            if (uri.getScheme().equals("jar")) {
                FileSystem fs;
                try {
                    fs = FileSystems.newFileSystem(uri, Map.of());
                } catch (FileSystemAlreadyExistsException e) {
                    fs = FileSystems.getFileSystem(uri);
                }
                return samplesIn(fs.provider().getPath(uri));
            }
            return samplesIn(Path.of(uri));
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException("cannot list the bundled samples: " + e, e);
        }
    }

    private static List<Sample> samplesIn(Path dir) throws IOException {
        List<Sample> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.sorted().toList()) {
                String file = p.getFileName().toString();
                if (file.endsWith(".png")) {
                    out.add(new Sample(file, labelOf(file), "/" + SAMPLES + file));
                }
            }
        }
        return out;
    }

    /** {@code 00019-t-shirt-top.png} → {@code t-shirt-top}: the page matches it to a class name. */
    static String labelOf(String file) {
        String stem = file.substring(0, file.length() - ".png".length());
        int dash = stem.indexOf('-');
        return (dash < 0 ? stem : stem.substring(dash + 1)).toLowerCase(Locale.ROOT);
    }

    private static byte[] resource(String name) {
        try (InputStream in = PageHandler.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
