package io.convzoo.zoo.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.onnx.OnnxOps;
import io.convzoo.blocks.res2net.Res2NetBottleneck;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The ONNX form written for ORT's blocked layout: Res2Net-50's first-stage bottlenecks (26-channel scale
 * chunks, which ORT cannot block) come as one conv per chunk, padded to 32 channels, with no slice, and
 * ONNX Runtime's output is the eager forward's, as it is for the plain form.
 */
class PaddedChunksTest {

    @Test
    void res2netChunksOf26ChannelsArePaddedExactly() throws Exception {
        NamedSequential net = new NamedSequential()
                .add("stage", Res2NetBottleneck.builder().inChannels(64).planes(64).build()) // stage block, width 26
                .add("normal", Res2NetBottleneck.builder().inChannels(256).planes(64).build());
        try (NDManager manager = NDManager.newBaseManager()) {
            Shape shape = new Shape(2, 64, 20, 20);
            TestSupport.init(net, manager, shape);
            InferencePrepTest.randomizeBatchNorms(net, manager, 7);
            NDArray x = TestSupport.random(manager, shape, 8);
            Inference.prepare(net, false, Inference.Runtime.LIBTORCH); // folded BatchNorms, block by block
            float[] eager = Inference.forward(net, new ParameterStore(manager, false), x).head().toFloatArray();

            byte[] plain = OnnxOps.write(net, x.getDevice(), 0, 64, "plain", false);
            byte[] padded = OnnxOps.write(net, x.getDevice(), 0, 64, "padded", true);
            // The plain form splits each block's 104 channels with 4 slices; the padded one has no slice and
            // writes conv1 as 4 convs: 11 convs (conv1, 3 scale convs and conv3 per block, the downsample) and 17.
            assertEquals(8, count(plain, "Slice"));
            assertEquals(0, count(padded, "Slice"));
            assertEquals(0, count(padded, "Gather"));
            assertEquals(11, count(plain, "Conv"));
            assertEquals(17, count(padded, "Conv"));
            assertTrue(padded.length > plain.length, "padded weights: 32 channels for 26");

            TestSupport.assertClose(eager, run(plain, x), 1e-4);
            TestSupport.assertClose(eager, run(padded, x), 1e-4);
        }
    }

    /** Occurrences of {@code op} as a node's op type (a length-prefixed string field) in the serialized model. */
    private static int count(byte[] model, String op) {
        byte[] field = new byte[op.length() + 2];
        field[0] = 0x22; // NodeProto field 4 (op_type), length-delimited
        field[1] = (byte) op.length();
        System.arraycopy(op.getBytes(StandardCharsets.US_ASCII), 0, field, 2, op.length());
        int n = 0;
        for (int i = 0; i + field.length <= model.length; i++) {
            int j = 0;
            while (j < field.length && model[i + j] == field[j]) {
                j++;
            }
            n += j == field.length ? 1 : 0;
        }
        return n;
    }

    private static float[] run(byte[] model, NDArray x) throws Exception {
        try (OrtSession.SessionOptions options = OnnxRuntimeEnvironment.sharedPoolOptions();
             OrtSession session = OnnxRuntimeEnvironment.get().createSession(model, options);
             OnnxTensor input = OnnxTensor.createTensor(OnnxRuntimeEnvironment.get(),
                     x.toByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer(), x.getShape().getShape());
             OrtSession.Result out = session.run(Map.of("input", input))) {
            FloatBuffer y = ((OnnxTensor) out.get(0)).getFloatBuffer();
            float[] values = new float[y.remaining()];
            y.get(values);
            return values;
        }
    }
}
