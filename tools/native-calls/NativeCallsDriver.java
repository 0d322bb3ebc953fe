import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.infer.Inference;

/**
 * Runs 300 untimed and then exactly N prepared eval forwards of one zoo model (random weights), so
 * that counting native calls for two values of N gives the calls of one forward. Used by count.sh.
 * Arguments: model id, input side, batch, N, and "blocks" to run the prepared model block by block
 * instead of as its TorchScript module.
 */
public final class NativeCallsDriver {
    public static void main(String[] args) {
        String id = args[0];
        int side = Integer.parseInt(args[1]);
        int batch = Integer.parseInt(args[2]);
        int forwards = Integer.parseInt(args[3]);
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = ModelRegistry.get(id).build();
            int channels = ModelRegistry.get(id).defaults().inputChannels();
            block.initialize(manager, DataType.FLOAT32, new Shape(1, channels, side, side));
            Inference.prepare(block, !(args.length > 4 && "blocks".equals(args[4])));
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray x = manager.randomNormal(new Shape(batch, channels, side, side));
            for (int i = 0; i < 300 + forwards; i++) {
                Inference.forward(block, ps, x).close();
            }
        }
    }
}
