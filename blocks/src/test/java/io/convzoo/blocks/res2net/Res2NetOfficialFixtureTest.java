package io.convzoo.blocks.res2net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.res2net.Res2NetBottleneck.Shortcut;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * Res2NetBottleneck against the official code's numbers: tools/res2net_block_fixtures.py ran the
 * official Bottle2neck (res2net.py, res2net_v1b.py) and Bottle2neckX (res2next.py) in eval mode
 * under Debian's PyTorch 1.13 on tiny configurations with random weights and BN statistics (stage
 * and normal blocks, v1 and v1b shortcuts at strides 1 and 2 on odd sizes, scale 6, Res2NeXt). Each
 * case loads those state_dict values by official key and must reproduce the official output.
 */
class Res2NetOfficialFixtureTest {

    private static final String RESOURCE = "/io/convzoo/blocks/res2net/official_bottleneck_cases.txt.gz";

    @Test
    void everyOfficialCaseIsReproduced() throws IOException {
        List<FixtureCase> cases = readCases();
        assertEquals(8, cases.size(), "fixture cases");
        for (FixtureCase c : cases) {
            Res2NetBottleneck block = Res2NetBottleneck.builder()
                    .inChannels(c.inChannels).planes(c.planes).stride(c.stride).baseWidth(c.baseWidth)
                    .scale(c.scale).cardinality(c.cardinality).shortcut(c.shortcut).stage(c.stage).build();
            try (NDManager m = NDManager.newBaseManager()) {
                TestSupport.init(block, m, c.inputShape);
                Map<String, Parameter> params = Res2NetBottleneckTest.officialParameters(block);
                assertEquals(c.params.keySet(), params.keySet(), c.name + ": official keys");
                for (Map.Entry<String, Parameter> e : params.entrySet()) {
                    Tensor t = c.params.get(e.getKey());
                    assertEquals(t.shape, e.getValue().getArray().getShape(), c.name + " " + e.getKey());
                    e.getValue().getArray().set(t.values);
                }
                NDArray out = TestSupport.infer(block, m, m.create(c.input, c.inputShape)).head();
                assertEquals(c.outputShape, out.getShape(), c.name);
                assertEquals(c.outputShape, block.getOutputShapes(new Shape[] {c.inputShape})[0], c.name);
                try {
                    TestSupport.assertClose(c.output, out.toFloatArray(), 1e-4);
                } catch (AssertionError err) {
                    throw new AssertionError(c.name + ": " + err.getMessage(), err);
                }
            }
        }
    }

    private record Tensor(Shape shape, float[] values) {}

    private static final class FixtureCase {
        String name;
        int inChannels;
        int planes;
        int stride;
        int baseWidth;
        int scale;
        int cardinality;
        Shortcut shortcut;
        boolean stage;
        final Map<String, Tensor> params = new LinkedHashMap<>();
        Shape inputShape;
        float[] input;
        Shape outputShape;
        float[] output;
    }

    private static List<FixtureCase> readCases() throws IOException {
        List<FixtureCase> cases = new ArrayList<>();
        try (InputStream raw = Res2NetOfficialFixtureTest.class.getResourceAsStream(RESOURCE)) {
            assertNotNull(raw, "missing test resource " + RESOURCE);
            BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.UTF_8));
            FixtureCase c = null;
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                String[] f = line.trim().split(" ");
                switch (f[0]) {
                    case "case" -> {
                        c = new FixtureCase();
                        c.name = f[1];
                        c.inChannels = Integer.parseInt(f[2]);
                        c.planes = Integer.parseInt(f[3]);
                        c.stride = Integer.parseInt(f[4]);
                        c.baseWidth = Integer.parseInt(f[5]);
                        c.scale = Integer.parseInt(f[6]);
                        c.cardinality = Integer.parseInt(f[7]);
                        c.shortcut = f[8].equals("v1b") ? Shortcut.V1B : Shortcut.V1;
                        c.stage = f[9].equals("1");
                    }
                    case "param" -> c.params.put(f[1], tensor(f, 2));
                    case "input" -> {
                        Tensor t = tensor(f, 1);
                        c.inputShape = t.shape;
                        c.input = t.values;
                    }
                    case "output" -> {
                        Tensor t = tensor(f, 1);
                        c.outputShape = t.shape;
                        c.output = t.values;
                    }
                    case "end" -> cases.add(c);
                    default -> throw new IOException("unexpected fixture line: " + f[0]);
                }
            }
        }
        return cases;
    }

    /** Parses "d0,d1,.. v0 v1 ..." starting at field {@code at}. */
    private static Tensor tensor(String[] f, int at) {
        long[] dims = Arrays.stream(f[at].split(",")).mapToLong(Long::parseLong).toArray();
        float[] values = new float[f.length - at - 1];
        for (int i = 0; i < values.length; i++) {
            values[i] = Float.parseFloat(f[at + 1 + i]);
        }
        Shape shape = new Shape(dims);
        assertEquals(shape.size(), values.length, "fixture values for " + shape);
        return new Tensor(shape, values);
    }
}
