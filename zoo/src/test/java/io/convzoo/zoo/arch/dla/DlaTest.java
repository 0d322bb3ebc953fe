package io.convzoo.zoo.arch.dla;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Res2Net-DLA against the official dla.py (Res2Net-PretrainedModels, PyTorch 1.13), measured with
 * {@code /usr/bin/python3 tools/dla_official_counts.py <official-dir> [<keys-dir>]}: learnable parameters
 * at 1000 classes, conv + linear MACs of one 1×3×224×224 forward (forward hooks), and the state_dict
 * keys with shapes, in order. Shapes only: no full-size forward runs here.
 */
class DlaTest {

    private static ModelSpec spec(String id) {
        return Dlas.VARIANTS.stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "res2net_dla60, 21145544, 4199751680",
        "res2next_dla60, 17330456, 3535822848",
    })
    void parametersAndMacsMatchTheOfficialCode(String id, long params, long macs) {
        ModelSummary s = ModelSummary.of(spec(id).build(), new Shape(1, 3, 224, 224));
        assertEquals(params, s.params(), id + " params");
        assertEquals(macs, s.macs(), id + " MACs");
        assertEquals(new Shape(1, 1000), spec(id).build().getOutputShapes(new Shape[] {new Shape(1, 3, 224, 224)})[0]);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"res2net_dla60", "res2next_dla60"})
    void namesAndShapesAreTheOfficialStateDict(String id) throws IOException {
        List<String> official = readKeys(id).stream().filter(l -> !l.contains("num_batches_tracked")).toList();
        Block block = spec(id).build();
        block.setInitializer(new ConstantInitializer(0.01f), Parameter.Type.WEIGHT);
        try (NDManager m = NDManager.newBaseManager()) {
            block.initialize(m, DataType.FLOAT32, new Shape(1, 3, 224, 224));
            List<String> actual = new ArrayList<>();
            for (Map.Entry<String, Parameter> e : OfficialNames.of(block).entrySet()) {
                actual.add(e.getKey() + " " + java.util.Arrays.stream(e.getValue().getArray().getShape().getShape())
                        .mapToObj(Long::toString).collect(Collectors.joining(",")));
            }
            assertEquals(String.join("\n", official), String.join("\n", actual), id);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"res2net_dla60"})
    void anInputTooSmallForThePoolIsNamed(String id) {
        Block net = spec(id).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> net.getOutputShapes(new Shape[] {new Shape(1, 3, 64, 64)}));
        assertTrue(e.getMessage().contains("AvgPool: a 7×7 window (padding 0) needs an input of at least that size, got 2×2"), e.getMessage());
        IllegalArgumentException channels = assertThrows(IllegalArgumentException.class,
                () -> net.getOutputShapes(new Shape[] {new Shape(1, 1, 224, 224)}));
        assertTrue(channels.getMessage().contains("res2net_dla60 (DLA)"), channels.getMessage());
    }

    private static List<String> readKeys(String id) throws IOException {
        String path = "/io/convzoo/zoo/arch/dla/" + id + ".keys.txt.gz";
        try (InputStream raw = DlaTest.class.getResourceAsStream(path)) {
            assertNotNull(raw, "missing test resource " + path);
            BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.UTF_8));
            return r.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        }
    }
}
