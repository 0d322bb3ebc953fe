package io.convzoo.zoo.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ORT's libraries load from one cached copy, and a process that used ORT leaves nothing in java.io.tmpdir. */
class OnnxRuntimeNativesTest {

    @Test
    void theCopyIsTheJarsLibrariesWrittenOnceAndMendedWhenCut(@TempDir Path cache) throws IOException {
        Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux") && System.getProperty("os.arch")
                .equals("amd64"), "compares with the jar's linux-x64 libraries");
        Path folder = OnnxRuntimeNatives.cachedCopy(cache);
        assertNotNull(folder, "ORT's libraries come from its jar in the test's class path");
        assertEquals(cache, folder.getParent());
        for (String library : OnnxRuntimeNatives.LIBRARIES) {
            assertArrayEquals(resourceBytes(library), Files.readAllBytes(folder.resolve(OnnxRuntimeNatives.fileName(library))),
                    library);
        }
        Path jni = folder.resolve(OnnxRuntimeNatives.fileName("onnxruntime4j_jni"));
        Object written = fileKey(jni);
        assertEquals(folder, OnnxRuntimeNatives.cachedCopy(cache));
        assertEquals(written, fileKey(jni), "a second start reuses the copy");

        Files.write(jni, new byte[] {1, 2, 3}); // a file cut short (disk full, another tool) is written again
        assertEquals(folder, OnnxRuntimeNatives.cachedCopy(cache));
        assertArrayEquals(resourceBytes("onnxruntime4j_jni"), Files.readAllBytes(jni));
        try (Stream<Path> files = Files.list(folder)) {
            assertEquals(2, files.count(), "no partial file is left beside the libraries");
        }
    }

    @Test
    void aProcessUsingOrtLeavesNoFolderInTmp(@TempDir Path dir) throws Exception {
        // Control: ORT's own loader leaves an empty onnxruntime-java* folder in tmp at every start.
        assertEquals(1, tmpFoldersLeftBy("plain", dir.resolve("plain")),
                "ORT's loader no longer leaves its folder behind: OnnxRuntimeNatives may be unneeded");
        assertEquals(0, tmpFoldersLeftBy("convzoo", dir.resolve("convzoo")));
        Path cache = dir.resolve("convzoo/cache/onnxruntime");
        try (Stream<Path> copies = Files.list(cache)) {
            Path folder = copies.findFirst().orElseThrow();
            for (String library : OnnxRuntimeNatives.LIBRARIES) {
                assertTrue(Files.isRegularFile(folder.resolve(OnnxRuntimeNatives.fileName(library))), library);
            }
        }
    }

    /** Runs {@link Child} with tmp and DJL's engine cache in {@code dir}; the onnxruntime-java* folders it left in tmp. */
    private static long tmpFoldersLeftBy(String mode, Path dir) throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path log = dir.resolve("child.log");
        ProcessBuilder child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Djava.io.tmpdir=" + tmp, Child.class.getName(), mode)
                .redirectErrorStream(true).redirectOutput(log.toFile());
        child.environment().put("ENGINE_CACHE_DIR", dir.resolve("cache").toString());
        Process process = child.start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the child JVM did not exit in 120 s: " + Files.readString(log));
        }
        assertEquals(0, process.exitValue(), Files.readString(log));
        try (Stream<Path> left = Files.list(tmp)) {
            List<Path> ort = left.filter(p -> p.getFileName().toString().startsWith("onnxruntime-java")).toList();
            return ort.size();
        }
    }

    private static Object fileKey(Path file) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        return List.of(String.valueOf(attributes.fileKey()), attributes.lastModifiedTime());
    }

    private static byte[] resourceBytes(String library) throws IOException {
        String platform = "/ai/onnxruntime/native/linux-x64/";
        try (InputStream in = ai.onnxruntime.OrtEnvironment.class.getResourceAsStream(platform
                + OnnxRuntimeNatives.fileName(library))) {
            assertNotNull(in, library);
            return in.readAllBytes();
        }
    }

    /** A JVM that loads ORT through ConvZoo ("convzoo") or through ORT's own loader ("plain"), then exits. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            if (args[0].equals("convzoo")) {
                OnnxRuntimeEnvironment.get();
            } else {
                ai.onnxruntime.OrtEnvironment.getEnvironment();
            }
            System.out.println("ORT " + ai.onnxruntime.OrtEnvironment.getEnvironment().getVersion() + " from "
                    + System.getProperty(OnnxRuntimeNatives.DIRECTORY_PROPERTY));
        }
    }
}
