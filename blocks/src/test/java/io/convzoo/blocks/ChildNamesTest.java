package io.convzoo.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import io.convzoo.blocks.layers.ModuleList;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** DJL's child keys give back the names they were added under, past the 99th child too. */
class ChildNamesTest {

    @Test
    void namesSurviveThreeDigitPrefixes() {
        NamedSequential seq = new NamedSequential();
        for (int i = 0; i < 120; i++) {
            seq.add(Integer.toString(i), Layers.relu());
        }
        assertEquals("10099", seq.getChildren().keyAt(99)); // DJL's key: "%02d" of 100, then the name "99"
        for (int i = 0; i < 120; i++) {
            assertEquals(Integer.toString(i), ChildNames.name(seq, i));
        }
        assertEquals("105", ChildNames.nameOf(seq, seq.getChildren().valueAt(105)));
        assertNull(ChildNames.nameOf(seq, Layers.relu()));
        assertThrows(IllegalStateException.class, () -> ChildNames.name("07relu", 2));
    }

    @Test
    void containerMembersHaveDottedPathsAndTheShapeWalkReportsThem() {
        List<Block> convs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            convs.add(Layers.conv1x1(4, 1));
        }
        ModuleList list = new ModuleList(convs);
        DataflowBlock owner = new DataflowBlock() {
            {
                addChildBlock("convs", list);
            }

            @Override
            protected <T> T forward(Ops<T> ops, T x) {
                T y = x;
                for (int i = 0; i < list.size(); i++) {
                    y = ops.child(list.get(i), y);
                }
                return y;
            }
        };
        assertEquals("convs.2", ChildNames.pathOf(owner, convs.get(2)));
        List<String> visited = new ArrayList<>();
        Shape[] out = owner.traceChildren(new Shape[] {new Shape(1, 4, 5, 5)}, (path, child, shapes) -> {
            visited.add(path);
            assertSame(convs.get(visited.size() - 1), child);
        });
        assertEquals(List.of("convs.0", "convs.1", "convs.2"), visited);
        assertEquals(new Shape(1, 4, 5, 5), out[0]);
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(owner, m, new Shape(1, 4, 5, 5));
            assertEquals(new Shape(1, 4, 5, 5), TestSupport.infer(owner, m, m.ones(new Shape(1, 4, 5, 5))).head().getShape());
        }
    }
}
