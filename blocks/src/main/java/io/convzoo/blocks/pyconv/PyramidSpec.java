package io.convzoo.blocks.pyconv;

import io.convzoo.blocks.Checks;
import java.util.Arrays;

/**
 * Kernels and groups of the 4-level pyramid inside the segmentation head's blocks. The official
 * head uses kernels 3/5/7/9 with groups 1/4/8/16 and splits the channels equally.
 *
 * @param kernels kernel size of each level
 * @param groups groups of each level
 */
public record PyramidSpec(int[] kernels, int[] groups) {

    /** The official head pyramid: kernels [3, 5, 7, 9], groups [1, 4, 8, 16]. */
    public static final PyramidSpec OFFICIAL_HEAD = new PyramidSpec(new int[] {3, 5, 7, 9}, new int[] {1, 4, 8, 16});

    public PyramidSpec {
        Checks.require(kernels.length == groups.length && kernels.length >= 1 && kernels.length <= 4, "PyConv",
                "kernels and groups must have the same length (1 to 4), got " + Arrays.toString(kernels)
                        + " and " + Arrays.toString(groups));
        kernels = kernels.clone();
        groups = groups.clone();
    }

    /** A PyConv with {@code planes} in and out channels split as the official code splits them. */
    PyConv build(int planes) {
        return PyConv.official(planes, kernels, groups, 1).build();
    }

    @Override
    public int[] kernels() {
        return kernels.clone();
    }

    @Override
    public int[] groups() {
        return groups.clone();
    }
}
