package io.convzoo.zoo.djl;

import ai.djl.util.Utils;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.arch.dyconv.DyResNet;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Where pretrained weights live. A weights directory holds {@code <id>-0000.params} (DJL format)
 * and optionally {@code synset.txt}; it is looked up, in order, at
 * <ol>
 *   <li>{@code <root>/<id>/<dataset>/} under the local repository root given by the system property
 *       {@value #ROOT_PROPERTY} or the environment variable {@value #ROOT_ENV} (where
 *       {@code bin/convzoo import} installs official checkpoints);</li>
 *   <li>the class path resource {@code io/convzoo/weights/<id>/<dataset>/} (weights shipped inside
 *       the zoo jar).</li>
 * </ol>
 */
public final class PretrainedWeights {

    public static final String ROOT_PROPERTY = "convzoo.repository";
    public static final String ROOT_ENV = "CONVZOO_REPOSITORY";
    static final String CLASSPATH_ROOT = "io/convzoo/weights/";

    private PretrainedWeights() {}

    /** The local repository root, when configured. */
    public static Optional<Path> localRoot() {
        String root = System.getProperty(ROOT_PROPERTY);
        if (root == null || root.isBlank()) {
            root = System.getenv(ROOT_ENV);
        }
        return root == null || root.isBlank() ? Optional.empty() : Optional.of(Paths.get(root));
    }

    /** The directory of installed weights for a model and dataset, if any. */
    public static Optional<Path> find(String id, String dataset) {
        for (Path dir : candidates(id, dataset)) {
            if (Files.isRegularFile(dir.resolve(id + "-0000.params"))) {
                return Optional.of(dir);
            }
        }
        return Optional.empty();
    }

    /** True when weights for this model and dataset are installed. */
    public static boolean isInstalled(String id, String dataset) {
        return find(id, dataset).isPresent();
    }

    private static List<Path> candidates(String id, String dataset) {
        List<Path> dirs = new ArrayList<>();
        localRoot().ifPresent(root -> dirs.add(root.resolve(id).resolve(dataset)));
        String resourceDir = CLASSPATH_ROOT + id + "/" + dataset + "/";
        URL url = PretrainedWeights.class.getClassLoader().getResource(resourceDir + id + "-0000.params");
        if (url != null) {
            dirs.add("file".equals(url.getProtocol()) ? toPath(url).getParent() : extract(resourceDir, id, dataset));
        }
        return dirs;
    }

    private static Path toPath(URL url) {
        try {
            return Paths.get(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("bad weights resource URL " + url, e);
        }
    }

    /** Copies weights shipped inside a jar to DJL's cache directory (once), since loading needs files. */
    private static Path extract(String resourceDir, String id, String dataset) {
        Path target = Utils.getCacheDir().resolve("convzoo").resolve(id).resolve(dataset);
        try {
            Files.createDirectories(target);
            for (String file : List.of(id + "-0000.params", "synset.txt", ModelDirectory.PROPERTIES)) {
                try (InputStream in = PretrainedWeights.class.getClassLoader().getResourceAsStream(resourceDir + file)) {
                    if (in == null) {
                        continue;
                    }
                    Path tmp = Files.createTempFile(target, file, ".part");
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(tmp, target.resolve(file), StandardCopyOption.REPLACE_EXISTING,
                            StandardCopyOption.ATOMIC_MOVE);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract shipped weights of " + id + " to " + target, e);
        }
        return target;
    }

    /**
     * The model arguments an import recorded in {@code serving.properties} beside the weights
     * ({@code numClasses}, {@code inputChannels}, and the dynamic-conv {@code temperature} a fine-tune
     * ended with); empty when there is no such file.
     */
    public static Map<String, String> importedArguments(Path weightsDir) {
        Path file = weightsDir.resolve("serving.properties");
        Map<String, String> args = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) {
            return args;
        }
        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        for (String key : List.of(ModelArgs.NUM_CLASSES, ModelArgs.INPUT_CHANNELS, DyResNet.TEMPERATURE)) {
            String value = props.getProperty(key);
            if (value != null) {
                args.put(key, value.strip());
            }
        }
        return args;
    }

    /**
     * How the Java API loads a model untrained, as {@link #howToInstall} words it; a front end (the
     * command line, the HTTP management API) replaces it with its own option.
     */
    public static final String UNTRAINED_IN_JAVA = "load it untrained with optArgument(\"pretrained\", false)";

    /** The message that tells a user how to install the weights. */
    public static String howToInstall(String id, String dataset) {
        return "pretrained weights for '" + id + "' (dataset " + dataset + ") are not installed. "
                + "Either " + UNTRAINED_IN_JAVA + ", or import the official "
                + "checkpoint into a local repository: bin/convzoo import " + id
                + " --checkpoint <file.pth> --out <root>/" + id + "/" + dataset
                + " and point ConvZoo at <root> with -D" + ROOT_PROPERTY + "=<root> or " + ROOT_ENV + "=<root>"
                + localRoot().map(r -> " (now " + r + ")").orElse(" (not set now)") + ".";
    }
}
