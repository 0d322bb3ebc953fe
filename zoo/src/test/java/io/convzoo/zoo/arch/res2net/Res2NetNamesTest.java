package io.convzoo.zoo.arch.res2net;

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
import org.junit.jupiter.api.Test;

/**
 * OfficialNames of our models equal the official state_dict, key for key, in order, with equal
 * shapes. The lists ({@code <id>.keys.txt.gz}, "key d0,d1,..." per line) were dumped from the
 * official code by tools/res2net_official_counts.py. BatchNorm's num_batches_tracked counters are
 * PyTorch bookkeeping that DJL does not keep; they are dropped (and counted) before comparing.
 */
class Res2NetNamesTest {

    @Test
    void res2net50_26w_4sHasTheOfficialKeys() throws IOException {
        assertOfficialKeys("res2net50_26w_4s");
    }

    @Test
    void res2next50HasTheOfficialKeys() throws IOException {
        assertOfficialKeys("res2next50");
    }

    @Test
    void res2net50_v1bHasTheOfficialKeys() throws IOException {
        assertOfficialKeys("res2net50_v1b");
    }

    @Test
    void res2netSmallHasTheKeysOfTheOfficialBlocks() throws IOException {
        assertOfficialKeys("res2net_small");
    }

    private static void assertOfficialKeys(String id) throws IOException {
        List<String> official = readKeys(id);
        List<String> counters = official.stream().filter(l -> l.contains("num_batches_tracked")).toList();
        List<String> expected = official.stream().filter(l -> !l.contains("num_batches_tracked")).toList();
        long batchNorms = expected.stream().filter(l -> l.split(" ")[0].endsWith(".running_var")).count();
        assertEquals(batchNorms, counters.size(), "one num_batches_tracked per BatchNorm");

        ModelSpec spec = Res2Nets.VARIANTS.stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
        Block block = spec.build();
        block.setInitializer(new ConstantInitializer(0.01f), Parameter.Type.WEIGHT);
        try (NDManager m = NDManager.newBaseManager()) {
            block.initialize(m, DataType.FLOAT32, new Shape(1, spec.defaults().inputChannels(), 32, 32));
            List<String> actual = new ArrayList<>();
            for (Map.Entry<String, Parameter> e : OfficialNames.of(block).entrySet()) {
                Shape s = e.getValue().getArray().getShape();
                actual.add(e.getKey() + " " + java.util.Arrays.stream(s.getShape()).mapToObj(Long::toString)
                        .collect(Collectors.joining(",")));
            }
            assertEquals(String.join("\n", expected), String.join("\n", actual), id);
        }
    }

    private static List<String> readKeys(String id) throws IOException {
        String path = "/io/convzoo/zoo/arch/res2net/" + id + ".keys.txt.gz";
        try (InputStream raw = Res2NetNamesTest.class.getResourceAsStream(path)) {
            assertNotNull(raw, "missing test resource " + path);
            BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.UTF_8));
            return r.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        }
    }
}
