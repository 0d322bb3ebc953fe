package io.convzoo.zoo.infer;

import ai.djl.util.Utils;
import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.jar.JarEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ONNX Runtime's native libraries, copied once into DJL's engine cache (beside libtorch's) and loaded
 * from there. ORT's own loader copies them (21 MB) into a new {@code onnxruntime-java*} folder of
 * java.io.tmpdir at every start, and leaves that folder behind: it marks the folder for deletion on
 * exit after its files, and the JVM deletes in the reverse order, while the folder still holds them.
 * A command line run once a minute would leave 1440 folders a day.
 */
final class OnnxRuntimeNatives {

    /** ORT's property for the folder it loads its libraries from; a user's own setting is kept. */
    static final String DIRECTORY_PROPERTY = "onnxruntime.native.path";
    static final String[] LIBRARIES = {"onnxruntime", "onnxruntime4j_jni"};

    private static final Logger LOG = LoggerFactory.getLogger(OnnxRuntimeNatives.class);

    private OnnxRuntimeNatives() {}

    /**
     * Points ORT at the cached copy, made on first use. Leaves ORT's own loading where the user chose a
     * folder or a library, or where no copy can be made (libraries outside a jar, a read-only cache).
     */
    static void useCachedCopy() {
        if (System.getProperty(DIRECTORY_PROPERTY) != null) {
            return;
        }
        for (String library : LIBRARIES) {
            if (System.getProperty("onnxruntime.native." + library + ".path") != null) {
                return;
            }
        }
        try {
            Path folder = cachedCopy(Utils.getEngineCacheDir("onnxruntime"));
            if (folder != null) {
                System.setProperty(DIRECTORY_PROPERTY, folder.toString());
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("ONNX Runtime loads its libraries through java.io.tmpdir: no cached copy ({})", e.toString());
        }
    }

    /**
     * The folder under {@code cacheRoot} holding this jar's ORT libraries, written where missing, or
     * null where they are not entries of a jar. The folder is named by the entries' CRCs, so another
     * ORT build gets a folder of its own; files are written under a temporary name and moved into place,
     * so a process starting beside this one never loads half a file.
     */
    static Path cachedCopy(Path cacheRoot) throws IOException {
        String platform = platform();
        if (platform == null) {
            return null;
        }
        JarEntry[] entries = new JarEntry[LIBRARIES.length];
        URL[] urls = new URL[LIBRARIES.length];
        StringBuilder key = new StringBuilder(platform);
        for (int i = 0; i < LIBRARIES.length; i++) {
            urls[i] = ai.onnxruntime.OrtEnvironment.class.getResource(resource(platform, LIBRARIES[i]));
            if (urls[i] == null) {
                return null;
            }
            URLConnection connection = urls[i].openConnection();
            if (!(connection instanceof JarURLConnection jar)) {
                return null;
            }
            connection.setUseCaches(false); // the jar's file handle is not kept open for the process
            entries[i] = jar.getJarEntry();
            if (entries[i].getCrc() < 0 || entries[i].getSize() < 0) {
                return null;
            }
            key.append('-').append(Long.toHexString(entries[i].getCrc()));
        }
        Path folder = cacheRoot.resolve(key.toString());
        Files.createDirectories(folder);
        for (int i = 0; i < LIBRARIES.length; i++) {
            Path target = folder.resolve(fileName(LIBRARIES[i]));
            if (Files.isRegularFile(target) && Files.size(target) == entries[i].getSize()) {
                continue;
            }
            Path partial = Files.createTempFile(folder, target.getFileName().toString(), ".partial");
            try {
                URLConnection connection = urls[i].openConnection();
                connection.setUseCaches(false);
                try (InputStream in = connection.getInputStream()) {
                    Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
                }
                if (Files.size(partial) != entries[i].getSize()) {
                    throw new IOException("copy of " + urls[i] + " is " + Files.size(partial) + " bytes, not "
                            + entries[i].getSize());
                }
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(partial);
            }
        }
        return folder;
    }

    /** The library's file name, as ORT maps it (a macOS .jnilib is a .dylib). */
    static String fileName(String library) {
        return System.mapLibraryName(library).replace("jnilib", "dylib");
    }

    private static String resource(String platform, String library) {
        return "/ai/onnxruntime/native/" + platform + "/" + fileName(library);
    }

    /** ORT's name of this platform's folder in its jar (linux-x64, osx-aarch64, …), or null for one it has none for. */
    private static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String osName = os.contains("mac") || os.contains("darwin") ? "osx"
                : os.contains("win") ? "win" : os.contains("nux") ? "linux" : null;
        String archName = arch.startsWith("amd64") || arch.startsWith("x86_64") ? "x64"
                : arch.startsWith("aarch64") ? "aarch64" : null;
        return osName == null || archName == null ? null : osName + "-" + archName;
    }
}
