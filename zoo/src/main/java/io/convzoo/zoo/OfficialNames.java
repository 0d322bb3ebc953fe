package io.convzoo.zoo;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import io.convzoo.blocks.ChildNames;
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
        PairList<String, Block> children = block.getChildren();
        for (int i = 0; i < children.size(); i++) {
            collect(children.valueAt(i), prefix + ChildNames.name(children.keyAt(i), i) + ".", out);
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
