package io.convzoo.zoo.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.ConstantInitializer;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.OfficialNames;
import io.convzoo.zoo.summary.ModelSummary;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;

/** Checks of an ImageNet variant against numbers dumped from its official code (shapes only, no forward). */
public final class OfficialModelChecks {

    private static final Shape IMAGENET = new Shape(1, 3, 224, 224);

    private OfficialModelChecks() {}

    /** Parameters and conv + linear MACs at 1×3×224×224, and (1, 1000) logits. */
    public static void assertParamsAndMacs(ModelSpec spec, long params, long macs) {
        ModelSummary s = ModelSummary.of(spec.build(), IMAGENET);
        assertEquals(params, s.params(), spec.id() + " params");
        assertEquals(macs, s.macs(), spec.id() + " MACs");
        assertEquals(new Shape(1, 1000), spec.build().getOutputShapes(new Shape[] {IMAGENET})[0]);
    }

    /**
     * OfficialNames equal the official state_dict ("key d0,d1,..." lines of the gzip'd {@code resource}),
     * key for key, in order, with equal shapes; the num_batches_tracked counters DJL does not keep aside.
     */
    public static void assertOfficialKeys(ModelSpec spec, String resource) throws IOException {
        List<String> official = readLines(resource).stream().filter(l -> !l.contains("num_batches_tracked")).toList();
        Block block = spec.build();
        block.setInitializer(new ConstantInitializer(0.01f), Parameter.Type.WEIGHT);
        try (NDManager m = NDManager.newBaseManager()) {
            block.initialize(m, DataType.FLOAT32, IMAGENET);
            List<String> actual = new ArrayList<>();
            for (Map.Entry<String, Parameter> e : OfficialNames.of(block).entrySet()) {
                actual.add(e.getKey() + " " + java.util.Arrays.stream(e.getValue().getArray().getShape().getShape())
                        .mapToObj(Long::toString).collect(Collectors.joining(",")));
            }
            assertEquals(String.join("\n", official), String.join("\n", actual), spec.id());
        }
    }

    private static List<String> readLines(String resource) throws IOException {
        try (InputStream raw = OfficialModelChecks.class.getResourceAsStream(resource)) {
            assertNotNull(raw, "missing test resource " + resource);
            BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.UTF_8));
            return r.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        }
    }
}
