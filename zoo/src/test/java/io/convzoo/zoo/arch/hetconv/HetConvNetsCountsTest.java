package io.convzoo.zoo.arch.hetconv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.summary.ModelSummary;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Parameter and MAC counts of the HetConv networks against an independent closed form, layer by
 * layer from the paper's definition (a HetConv filter of part P over M inputs holds M/P 3×3 kernels
 * and M - M/P 1×1 kernels), and, at P = 1, against torchvision's ResNet-34/50 counts.
 */
class HetConvNetsCountsTest {

    /** Params and MACs of one network, summed layer by layer. */
    private static final class Tally {
        long params;
        long macs;

        /** A standard k×k conv, no bias, with an output map of side {@code side}. */
        void conv(long in, long out, int k, long side) {
            params += in * out * k * k;
            macs += in * out * k * k * side * side;
        }

        /** A HetConv of part p: per output, in/p 3×3 kernels and in - in/p 1×1 kernels. */
        void het(long in, long out, int p, long side) {
            long perOutput = 9 * (in / p) + (in - in / p);
            params += out * perOutput;
            macs += out * perOutput * side * side;
        }

        void batchNorm(long channels) {
            params += 2 * channels;
        }

        void linear(long in, long out) {
            params += in * out + out;
            macs += in * out;
        }
    }

    /** ResNet-34 (basic) or ResNet-50 (bottleneck) on 224×224 with HetConv 3×3 convs. */
    private static long[] resnet(boolean bottleneck, int p) {
        Tally t = new Tally();
        t.conv(3, 64, 7, 112);
        t.batchNorm(64);
        int[] depths = {3, 4, 6, 3};
        int[] planes = {64, 128, 256, 512};
        long side = 56;
        long in = 64;
        int expansion = bottleneck ? 4 : 1;
        for (int s = 0; s < 4; s++) {
            for (int b = 0; b < depths[s]; b++) {
                int stride = b == 0 && s > 0 ? 2 : 1;
                long outSide = side / stride;
                long width = planes[s];
                long out = width * expansion;
                if (bottleneck) {
                    t.conv(in, width, 1, side);
                    t.batchNorm(width);
                    t.het(width, width, p, outSide);
                    t.batchNorm(width);
                    t.conv(width, out, 1, outSide);
                    t.batchNorm(out);
                } else {
                    t.het(in, width, p, outSide);
                    t.batchNorm(width);
                    t.het(width, width, p, outSide);
                    t.batchNorm(width);
                }
                if (stride != 1 || in != out) {
                    t.conv(in, out, 1, outSide);
                    t.batchNorm(out);
                }
                in = out;
                side = outSide;
            }
        }
        t.linear(in, 1000);
        return new long[] {t.params, t.macs};
    }

    /** The CIFAR VGG-16 on 32×32: first conv standard, the other twelve HetConv, classifier 512-512-10. */
    private static long[] vgg16(int p) {
        Tally t = new Tally();
        int[][] stages = {{64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}};
        long side = 32;
        long in = 3;
        boolean first = true;
        for (int[] stage : stages) {
            for (int width : stage) {
                if (first) {
                    t.conv(in, width, 3, side);
                    first = false;
                } else {
                    t.het(in, width, p, side);
                }
                t.batchNorm(width);
                in = width;
            }
            side /= 2;
        }
        t.linear(512, 512);
        t.linear(512, 10);
        return new long[] {t.params, t.macs};
    }

    /** hetconv_resnet_small on 28×28: 32-channel 3×3 stem, one basic block per stage, 32/64/128/256, strides 1, 2, 2, 2. */
    private static long[] small() {
        Tally t = new Tally();
        t.conv(1, 32, 3, 28);
        t.batchNorm(32);
        long in = 32;
        long side = 28;
        long[] widths = {32, 64, 128, 256};
        for (int s = 0; s < widths.length; s++) {
            long width = widths[s];
            boolean strided = s > 0;
            side = strided ? (side + 1) / 2 : side;
            t.het(in, width, 4, side);
            t.batchNorm(width);
            t.het(width, width, 4, side);
            t.batchNorm(width);
            if (strided || in != width) {
                t.conv(in, width, 1, side);
                t.batchNorm(width);
            }
            in = width;
        }
        t.linear(256, 10);
        return new long[] {t.params, t.macs};
    }

    private static long[] counted(Block block, Shape input) {
        ModelSummary summary = ModelSummary.of(block, input);
        return new long[] {summary.params(), summary.macs()};
    }

    private static void assertCounts(String id, long[] expected, long[] actual) {
        assertEquals(expected[0], actual[0], id + " params");
        assertEquals(expected[1], actual[1], id + " MACs");
    }

    @Test
    void familyRegistersEveryPartOfEachNetwork() {
        List<String> ids = ModelRegistry.all().stream().filter(s -> s.family().equals(HetConvNets.FAMILY))
                .map(ModelSpec::id).collect(Collectors.toList());
        assertEquals(List.of("hetconv_vgg16_p4", "hetconv_vgg16_p8", "hetconv_vgg16_p16", "hetconv_vgg16_p32",
                "hetconv_resnet34_p4", "hetconv_resnet34_p8", "hetconv_resnet34_p16", "hetconv_resnet34_p32",
                "hetconv_resnet50_p4", "hetconv_resnet50_p8", "hetconv_resnet50_p16", "hetconv_resnet50_p32",
                "hetconv_resnet_small"), ids);
        ModelSpec vgg = ModelRegistry.get("hetconv_vgg16_p8");
        assertEquals(Map.of("family", "hetconv", "depth", "16", "part", "8", "dataset", "cifar10"), vgg.properties());
        assertEquals(32, vgg.inputSize());
        assertEquals(10, vgg.defaults().numClasses());
        assertEquals("32", ModelRegistry.get("hetconv_resnet50_p32").properties().get("part"));
        ModelSpec small = ModelRegistry.get("hetconv_resnet_small");
        assertEquals(Map.of("family", "hetconv", "depth", "10", "part", "4", "dataset", "fashion-mnist"),
                small.properties());
        assertEquals(28, small.inputSize());
        assertEquals(1, small.defaults().inputChannels());
    }

    @Test
    void registeredVariantsMatchTheClosedForm() {
        for (int p : HetConvNets.PARTS) {
            ModelSpec vgg = ModelRegistry.get("hetconv_vgg16_p" + p);
            assertCounts(vgg.id(), vgg16(p), counted(vgg.build(), new Shape(1, 3, 32, 32)));
            ModelSpec r34 = ModelRegistry.get("hetconv_resnet34_p" + p);
            assertCounts(r34.id(), resnet(false, p), counted(r34.build(), new Shape(1, 3, 224, 224)));
            ModelSpec r50 = ModelRegistry.get("hetconv_resnet50_p" + p);
            assertCounts(r50.id(), resnet(true, p), counted(r50.build(), new Shape(1, 3, 224, 224)));
        }
        assertCounts("hetconv_resnet_small", small(),
                counted(HetConvNets.SMALL.build(), new Shape(1, 1, 28, 28)));
    }

    @Test
    void partOneIsThePlainNetwork() {
        // torchvision: resnet34 21,797,672 params and 3,663,761,408 conv+fc MACs; resnet50 25,557,032 and
        // 4,089,184,256 (the zoo's resnet50).
        assertCounts("resnet34", new long[] {21_797_672L, 3_663_761_408L},
                counted(HetConvNets.resnet34(ModelArgs.imagenet(), 1), new Shape(1, 3, 224, 224)));
        assertCounts("resnet34 closed form", new long[] {21_797_672L, 3_663_761_408L}, resnet(false, 1));
        assertCounts("resnet50", new long[] {25_557_032L, 4_089_184_256L},
                counted(HetConvNets.resnet50(ModelArgs.imagenet(), 1), new Shape(1, 3, 224, 224)));
        assertCounts("resnet50 closed form", new long[] {25_557_032L, 4_089_184_256L}, resnet(true, 1));
        assertCounts("vgg16", vgg16(1), counted(HetConvNets.vgg16(new ModelArgs(10, 3, false, Map.of()), 1),
                new Shape(1, 3, 32, 32)));
    }

    /** Prints the docs/models.md table rows (run by hand). */
    public static void main(String[] args) {
        System.out.println("| network | P | params | MACs | MACs / P=1 |");
        for (int p : new int[] {1, 4, 8, 16, 32}) {
            row("VGG-16 (CIFAR-10, 32×32)", p, vgg16(p), vgg16(1));
        }
        for (int p : new int[] {1, 4, 8, 16, 32}) {
            row("ResNet-34 (224×224)", p, resnet(false, p), resnet(false, 1));
        }
        for (int p : new int[] {1, 4, 8, 16, 32}) {
            row("ResNet-50 (224×224)", p, resnet(true, p), resnet(true, 1));
        }
        row("small (28×28)", 4, small(), small());
    }

    private static void row(String name, int p, long[] counts, long[] base) {
        System.out.printf("| %s | %d | %,d | %,d | %.3f |%n", name, p, counts[0], counts[1],
                (double) counts[1] / base[1]);
    }
}
