package io.convzoo.zoo.arch.octconv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.octconv.OctConv;
import io.convzoo.blocks.octconv.OctConvBn;
import io.convzoo.zoo.OfficialNames;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * OctBottleneck against the official Bottleneck, value for value: the fixtures hold random
 * official weights and BatchNorm statistics, an input and the official eval-mode output
 * (written by tools/octresnet_reference.py --dump with Debian's PyTorch 1.13).
 */
class OctBottleneckTest {

    /** A tensor from a fixture line: "key d0xd1x... v0 v1 ...". */
    private record Tensor(Shape shape, float[] values) {}

    private static Map<String, Tensor> readFixture(String resource) throws IOException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (InputStream in = OctBottleneckTest.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("missing test resource " + resource);
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(in), StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                String[] f = line.trim().split(" ");
                long[] dims = Arrays.stream(f[1].split("x")).mapToLong(Long::parseLong).toArray();
                float[] v = new float[f.length - 2];
                for (int i = 0; i < v.length; i++) {
                    v[i] = Float.parseFloat(f[i + 2]);
                }
                out.put(f[0], new Tensor(new Shape(dims), v));
            }
        }
        return out;
    }

    private static OctBottleneck bottleneck(int inplanes, int planes, int stride, double aIn, double aOut) {
        NamedSequential downsample = new NamedSequential().add("0", new OctConvBn(OctConv.builder()
                .setChannels(inplanes, planes * 4).setKernel(1).optStride(stride).optAlpha(aIn, aOut).build()));
        return new OctBottleneck(inplanes, planes, stride, downsample, 1, 64, aIn, aOut, false);
    }

    // Configurations as in tools/octresnet_reference.py BOTTLENECK_FIXTURES.
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "bottleneck_first, 8, 4, 1, 0, 0.5",
        "bottleneck_normal_s2, 8, 4, 2, 0.5, 0.5",
        "bottleneck_output_s2, 8, 4, 2, 0.5, 0",
    })
    void matchesOfficialBottleneck(String fixture, int inplanes, int planes, int stride, double aIn, double aOut)
            throws IOException {
        Map<String, Tensor> t = readFixture(fixture + ".values.gz");
        OctBottleneck block = bottleneck(inplanes, planes, stride, aIn, aOut);
        try (NDManager m = NDManager.newBaseManager()) {
            Tensor xh = t.get("input_h");
            Tensor xl = t.get("input_l");
            Shape[] inputs = xl == null ? new Shape[] {xh.shape()} : new Shape[] {xh.shape(), xl.shape()};
            TestSupport.init(block, m, inputs);
            Map<String, Parameter> params = OfficialNames.of(block);
            int loaded = 0;
            for (Map.Entry<String, Tensor> e : t.entrySet()) {
                if (e.getKey().startsWith("input_") || e.getKey().startsWith("output_")) {
                    continue;
                }
                Parameter p = params.get(e.getKey());
                assertTrue(p != null, "no parameter for official key " + e.getKey());
                assertEquals(e.getValue().shape(), p.getArray().getShape(), e.getKey());
                p.getArray().set(e.getValue().values());
                loaded++;
            }
            assertEquals(params.size(), loaded, "every parameter comes from the official state_dict");

            NDArray h = m.create(xh.values(), xh.shape());
            NDList y = xl == null ? TestSupport.infer(block, m, h)
                    : TestSupport.infer(block, m, h, m.create(xl.values(), xl.shape()));
            Tensor yh = t.get("output_h");
            Tensor yl = t.get("output_l");
            assertEquals(yl == null ? 1 : 2, y.size());
            assertEquals(yh.shape(), y.get(0).getShape());
            TestSupport.assertClose(yh.values(), y.get(0).toFloatArray(), 1e-4);
            if (yl != null) {
                assertEquals(yl.shape(), y.get(1).getShape());
                TestSupport.assertClose(yl.values(), y.get(1).toFloatArray(), 1e-4);
            }
        }
    }

    @Test
    void shortcutMismatchIsRejectedByName() {
        // alphaIn = 0 without a downsample: the branch returns a pair, the shortcut a single array.
        OctBottleneck block = new OctBottleneck(16, 4, 1, null, 1, 64, 0, 0.5, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> block.getOutputShapes(new Shape[] {new Shape(1, 16, 8, 8)}));
        assertTrue(e.getMessage().startsWith("OctBottleneck(16->16, s1)") && e.getMessage().contains("shortcut"),
                e.getMessage());
    }

    @Test
    void trains() {
        // Output-style block: one array in, one out, so the single-array training check applies directly.
        TestSupport.assertTrains(new OctBottleneck(8, 2, 1, null, 1, 64, 0, 0, false), new Shape(2, 8, 8, 8), 4, 0.05f);
    }
}
