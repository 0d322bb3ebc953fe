package io.convzoo.zoo;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Maps a block's parameters to PyTorch {@code state_dict} keys. Zoo blocks name their children
 * after the official modules, so the key is the child path joined by dots (DJL's two-digit child
 * prefixes stripped) plus the PyTorch name of the parameter: BatchNorm's gamma/beta become
 * weight/bias and its running statistics running_mean/running_var.
 */
public final class OfficialNames {

    private OfficialNames() {}

    /** Official key -> parameter, in the block's parameter order. */
    public static Map<String, Parameter> of(Block block) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect(block, "", out);
        return out;
    }

    private static void collect(Block block, String prefix, Map<String, Parameter> out) {
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            out.put(prefix + torchName(p.getKey()), p.getValue());
        }
        for (Pair<String, Block> child : block.getChildren()) {
            // DJL stores children as "%02d" + name.
            String name = child.getKey().substring(2);
            collect(child.getValue(), prefix + name + ".", out);
        }
    }

    /** DJL parameter name -> PyTorch parameter or buffer name. */
    public static String torchName(String djlName) {
        return switch (djlName) {
            case "gamma" -> "weight";
            case "beta" -> "bias";
            case "runningMean" -> "running_mean";
            case "runningVar" -> "running_var";
            default -> djlName;
        };
    }
}
