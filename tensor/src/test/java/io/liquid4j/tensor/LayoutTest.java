package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The shape/stride arithmetic on its own, without storage. */
class LayoutTest {
    private static void assertLayout(Layout l, int[] shape, long[] strides, long offset) {
        assertArrayEquals(shape, l.shape(), "shape of " + l);
        assertArrayEquals(strides, l.strides(), "strides of " + l);
        assertEquals(offset, l.offset(), "offset of " + l);
    }

    private static void assertMessage(Throwable e, String part) {
        assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
    }

    @Test
    void contiguousLayouts() {
        Layout l = Layout.contiguous(2, 3, 4);
        assertLayout(l, new int[] {2, 3, 4}, new long[] {12, 4, 1}, 0);
        assertEquals(24, l.numel());
        assertTrue(l.isContiguous());
        assertEquals(3, l.rank());
        assertEquals(4, l.size(-1));
        assertEquals(12, l.stride(0));
        assertLayout(Layout.contiguous(), new int[0], new long[0], 0);
        assertEquals(1, Layout.contiguous().numel());
        assertEquals(0, Layout.contiguous(3, 0, 2).numel());
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Layout.contiguous(2, -1)), "negative dimension");
        assertThrows(ArithmeticException.class, () -> Layout.contiguous(1 << 30, 1 << 30, 1 << 30));
        assertThrows(IndexOutOfBoundsException.class, () -> l.size(3));
    }

    @Test
    void contiguityIgnoresStridesOfSizeOneDims() {
        Layout row = Layout.contiguous(4, 6).narrow(0, 2, 1);          // [1, 6], strides [6, 1], offset 12
        assertLayout(row, new int[] {1, 6}, new long[] {6, 1}, 12);
        assertTrue(row.isContiguous());
        assertTrue(Layout.contiguous(2, 6).slice(0, 0, 2, 2).isContiguous(), "[1, 6] with row stride 12");
        assertFalse(Layout.contiguous(4, 6).narrow(1, 0, 3).isContiguous());
        assertFalse(Layout.contiguous(4, 6).transpose(0, 1).isContiguous());
    }

    @Test
    void viewsOfContiguousLayoutsAlwaysExist() {
        Layout l = Layout.contiguous(2, 3, 4).narrow(0, 1, 1);         // contiguous, offset 12
        assertLayout(l.view(3, 2, 2), new int[] {3, 2, 2}, new long[] {4, 2, 1}, 12);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> l.view(5)), "cannot view 12 elements");
    }

    @Test
    void viewsOfStridedLayouts() {
        Layout tr = Layout.contiguous(3, 4).transpose(0, 1);           // [4, 3] strides [1, 4]
        assertNull(tr.view(12), "a transposed matrix cannot be flattened without a copy");
        assertNull(tr.view(3, 4));
        // splitting a dim keeps working: each old dim stays one run
        assertLayout(tr.view(2, 2, 3), new int[] {2, 2, 3}, new long[] {2, 1, 4}, 0);
        // every other row of [4, 3, 2]: the inner two dims still merge
        Layout stepped = Layout.contiguous(4, 3, 2).slice(0, 0, 4, 2);   // [2, 3, 2] strides [12, 2, 1]
        assertLayout(stepped.view(2, 6), new int[] {2, 6}, new long[] {12, 1}, 0);
        assertNull(stepped.view(12));
        assertNull(stepped.view(4, 3), "the chunk [2,3]->[4,...] crosses the gap between rows");
        // size-1 dims carry arbitrary strides and never block a view; new ones get stride 1
        Layout withOne = stepped.unsqueeze(2);                          // [2, 3, 1, 2]
        assertLayout(withOne.view(2, 6), new int[] {2, 6}, new long[] {12, 1}, 0);
        assertLayout(stepped.view(2, 1, 6, 1), new int[] {2, 1, 6, 1}, new long[] {12, 1, 1, 1}, 0);
        // a narrowed last dim: [4, 3, 1] strides [6, 2, 1] -> [4, 3] keeps the offset
        Layout col = Layout.contiguous(4, 3, 2).narrow(2, 1, 1);
        assertLayout(col.view(4, 3), new int[] {4, 3}, new long[] {6, 2}, 1);
        // broadcast (stride-0) dims merge with each other but not with real ones
        Layout bc = Layout.contiguous(4).unsqueeze(0).unsqueeze(0).expand(2, 3, 4);   // strides [0, 0, 1]
        assertLayout(bc.view(6, 4), new int[] {6, 4}, new long[] {0, 1}, 0);
        assertNull(bc.view(2, 12));
    }

    @Test
    void permuteAndTranspose() {
        Layout l = Layout.contiguous(2, 3, 4);
        assertLayout(l.permute(2, 0, 1), new int[] {4, 2, 3}, new long[] {1, 12, 4}, 0);
        assertLayout(l.permute(-1, 1, 0), new int[] {4, 3, 2}, new long[] {1, 4, 12}, 0);
        assertLayout(l.transpose(0, -1), new int[] {4, 3, 2}, new long[] {1, 4, 12}, 0);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> l.permute(0, 1)), "permute needs 3 dims");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> l.permute(0, 2, -1)), "permute repeats dim 2");
        assertMessage(assertThrows(IndexOutOfBoundsException.class, () -> l.transpose(0, 3)), "dim 3 out of range for a 3-d tensor");
    }

    @Test
    void sliceNarrowSelect() {
        Layout l = Layout.contiguous(7, 9);
        assertLayout(l.slice(1, 1, 8, 3), new int[] {7, 3}, new long[] {9, 3}, 1);
        assertLayout(l.slice(0, -3, 7, 2), new int[] {2, 9}, new long[] {18, 1}, 36);
        assertLayout(l.slice(0, 3, 3, 1), new int[] {0, 9}, new long[] {9, 1}, 27);
        assertLayout(l.narrow(1, 2, 5), new int[] {7, 5}, new long[] {9, 1}, 2);
        assertLayout(l.select(1, 3), new int[] {7}, new long[] {9}, 3);
        assertLayout(l.select(0, -1), new int[] {9}, new long[] {1}, 54);
        assertLayout(l.transpose(0, 1).slice(1, 0, 7, 2).select(0, 2), new int[] {4}, new long[] {18}, 2);
        assertMessage(assertThrows(IndexOutOfBoundsException.class, () -> l.slice(0, 0, 8, 1)), "slice [0:8] out of range for dim 0 of size 7");
        assertThrows(IndexOutOfBoundsException.class, () -> l.slice(0, 5, 3, 1));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> l.slice(0, 0, 3, 0)), "step must be > 0");
        assertThrows(IndexOutOfBoundsException.class, () -> l.narrow(1, 8, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> l.select(0, 7));
        assertThrows(IndexOutOfBoundsException.class, () -> l.select(0, -8));
        assertThrows(IndexOutOfBoundsException.class, () -> l.select(2, 0));
    }

    @Test
    void unsqueezeAndSqueeze() {
        Layout l = Layout.contiguous(3, 4).slice(1, 0, 4, 2);          // [3, 2] strides [4, 2]
        assertLayout(l.unsqueeze(0), new int[] {1, 3, 2}, new long[] {1, 4, 2}, 0);
        assertLayout(l.unsqueeze(-1), new int[] {3, 2, 1}, new long[] {4, 2, 1}, 0);
        assertLayout(l.unsqueeze(1).squeeze(1), new int[] {3, 2}, new long[] {4, 2}, 0);
        assertLayout(Layout.contiguous(3).unsqueeze(0), new int[] {1, 3}, new long[] {3, 1}, 0);
        assertThrows(IndexOutOfBoundsException.class, () -> l.unsqueeze(3));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> l.squeeze(0)), "squeeze(0) of a dim of size 3");
    }

    @Test
    void expandUsesStrideZero() {
        Layout col = Layout.contiguous(3).unsqueeze(1);                 // [3, 1]
        assertLayout(col.expand(3, 4), new int[] {3, 4}, new long[] {1, 0}, 0);
        assertLayout(col.expand(2, -1, 5), new int[] {2, 3, 5}, new long[] {0, 1, 0}, 0);
        assertSame(col, col.expand(3, 1), "nothing to expand gives the same layout");
        assertSame(col, col.expand(-1, -1));
        assertLayout(Layout.contiguous().expand(2, 2), new int[] {2, 2}, new long[] {0, 0}, 0);
        Layout t = Layout.contiguous(3);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> t.expand(4)), "cannot expand shape [3] to [4]");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> t.expand(-1, 3)), "-1 not allowed for a new dim");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Layout.contiguous(2, 3).expand(3)), "to fewer dims [3]");
    }

    @Test
    void broadcastShapes() {
        assertArrayEquals(new int[] {2, 3, 4}, Layout.broadcastShapes(new int[] {3, 1}, new int[] {2, 1, 4}, "add"));
        assertArrayEquals(new int[] {5, 0}, Layout.broadcastShapes(new int[] {5, 1}, new int[] {0}, "add"));
        assertArrayEquals(new int[] {2}, Layout.broadcastShapes(new int[0], new int[] {2}, "add"));
        var e = assertThrows(IllegalArgumentException.class, () -> Layout.broadcastShapes(new int[] {2, 3}, new int[] {4}, "mul"));
        assertEquals("mul: shapes [2, 3] and [4] do not broadcast", e.getMessage());
    }

    @Test
    void coalesceMergesDimsContiguousForEveryOperand() {
        int[] shape = {4, 5, 6};
        long[] out = {30, 6, 1};
        // all contiguous: one run of 120
        Layout.Coalesced c = Layout.coalesce(shape, Long.MAX_VALUE, out, out);
        assertArrayEquals(new long[] {120}, c.sizes());
        assertArrayEquals(new long[] {1}, c.strides()[1]);
        // a bias broadcast over dim 0 (stride 0) still lets dims 1 and 2 merge, but not dim 0
        c = Layout.coalesce(shape, Long.MAX_VALUE, out, new long[] {0, 6, 1});
        assertArrayEquals(new long[] {4, 30}, c.sizes());
        assertArrayEquals(new long[] {30, 1}, c.strides()[0]);
        assertArrayEquals(new long[] {0, 1}, c.strides()[1]);
        // a scalar broadcast everywhere (all strides 0) merges like a contiguous operand
        c = Layout.coalesce(shape, Long.MAX_VALUE, out, new long[] {0, 0, 0});
        assertArrayEquals(new long[] {120}, c.sizes());
        assertArrayEquals(new long[] {0}, c.strides()[1]);
        // a row broadcast over the inner dims: [4, 30] with strides [1, 0]
        c = Layout.coalesce(shape, Long.MAX_VALUE, out, new long[] {1, 0, 0});
        assertArrayEquals(new long[] {4, 30}, c.sizes());
        assertArrayEquals(new long[] {1, 0}, c.strides()[1]);
        // a transposed source blocks every merge
        c = Layout.coalesce(new int[] {4, 5}, Long.MAX_VALUE, new long[] {5, 1}, new long[] {1, 4});
        assertArrayEquals(new long[] {4, 5}, c.sizes());
        assertEquals(2, c.rank());
    }

    @Test
    void coalesceDropsSizeOneDimsAndRespectsTheSizeLimit() {
        Layout.Coalesced c = Layout.coalesce(new int[] {1, 3, 1, 4}, Long.MAX_VALUE, new long[] {99, 4, 77, 1});
        assertArrayEquals(new long[] {12}, c.sizes());
        assertArrayEquals(new long[] {1}, c.strides()[0]);
        c = Layout.coalesce(new int[] {1, 1}, Long.MAX_VALUE, new long[] {5, 3});
        assertEquals(0, c.rank(), "all size-1: nothing left to loop over");
        c = Layout.coalesce(new int[0], Long.MAX_VALUE, new long[0], new long[0]);
        assertEquals(0, c.rank());
        assertEquals(2, c.strides().length);
        c = Layout.coalesce(new int[] {4, 5, 6}, 30, new long[] {30, 6, 1});
        assertArrayEquals(new long[] {20, 6}, c.sizes(), "merging on to 120 would exceed the limit of 30");
        assertArrayEquals(new long[] {6, 1}, c.strides()[0]);
    }

    @Test
    void gemmOperandOfRowMajorViews() {
        assertEquals(new Layout.GemmOperand(false, 4, 0), Layout.contiguous(3, 4).gemmOperand());
        // rows padded in a wider buffer: ld is the row stride
        assertEquals(new Layout.GemmOperand(false, 10, 0), Layout.contiguous(3, 10).narrow(1, 2, 4).gemmOperand());
        assertEquals(new Layout.GemmOperand(false, 4, 12), Layout.contiguous(2, 3, 4).gemmOperand());
        // one matrix of a batch: no batch stride
        assertEquals(new Layout.GemmOperand(false, 4, 0), Layout.contiguous(1, 3, 4).gemmOperand());
    }

    @Test
    void gemmOperandOfTransposedAndBatchedViews() {
        // W.t() of a [4, 3] weight reads it column-major in place
        Layout wt = Layout.contiguous(4, 3).transpose(0, 1);           // [3, 4] strides [1, 3]
        assertEquals(new Layout.GemmOperand(true, 3, 0), wt.gemmOperand());
        // per-head transposed keys: [2, 4, 3] -> [2, 3, 4] strides [12, 1, 3]
        Layout kt = Layout.contiguous(2, 4, 3).transpose(1, 2);
        assertEquals(new Layout.GemmOperand(true, 3, 12), kt.gemmOperand());
        // a weight shared by the batch (expanded, stride 0)
        Layout shared = Layout.contiguous(3, 4).unsqueeze(0).expand(5, 3, 4);
        assertEquals(new Layout.GemmOperand(false, 4, 0), shared.gemmOperand());
        Layout sharedT = Layout.contiguous(4, 3).transpose(0, 1).unsqueeze(0).expand(5, 3, 4);
        assertEquals(new Layout.GemmOperand(true, 3, 0), sharedT.gemmOperand());
        // vectors fit both ways whatever the stride of their size-1 dim
        assertEquals(new Layout.GemmOperand(false, 4, 0), Layout.contiguous(5, 4).narrow(0, 2, 1).gemmOperand());
        Layout column = Layout.contiguous(4, 5).narrow(1, 1, 1);       // [4, 1] strides [5, 1]
        assertEquals(new Layout.GemmOperand(false, 5, 0), column.gemmOperand());
        // one row of that column's transpose, [1, 4] strides [1, 5], reads column-major
        assertEquals(new Layout.GemmOperand(true, 5, 0), column.transpose(0, 1).gemmOperand());
    }

    @Test
    void gemmOperandNeedsACopyWhenNeitherMajorFits() {
        assertNull(Layout.contiguous(3, 8).slice(1, 0, 8, 2).gemmOperand(), "column stride 2");
        assertNull(Layout.contiguous(2, 3, 4).permute(1, 0, 2).slice(2, 0, 4, 2).gemmOperand());
        // rows overlapping (row stride below the row length) are not a GEMM layout either
        Layout overlapping = Layout.contiguous(4).unsqueeze(0).expand(3, 4);   // strides [0, 1]
        assertNull(overlapping.gemmOperand());
        assertNotNull(Layout.contiguous(3, 4).gemmOperand());
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Layout.contiguous(4).gemmOperand()), "2 or 3 dims");
    }
}
