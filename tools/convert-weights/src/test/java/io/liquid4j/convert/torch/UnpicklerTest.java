package io.liquid4j.convert.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hand-written pickle streams: containers, numbers, memo, and refusal of code-running globals. */
class UnpicklerTest {
    static Object load(String pickle) {
        return new Unpickler(pickle.getBytes(StandardCharsets.ISO_8859_1), new TorchGlobals(false), null).load();
    }

    @Test void readsProtocol2Containers() {
        // {'a': [1, 300, -2], 'b': (True, None, 1.5), 'c': 'x'} as pickle.dumps(..., protocol=2)
        String p = "\u0080\u0002}q\u0000(X\u0001\u0000\u0000\u0000aq\u0001]q\u0002(K\u0001M,\u0001J\u00fe\u00ff\u00ff\u00ffeX\u0001\u0000\u0000\u0000bq\u0003\u0088NG?\u00f8\u0000\u0000\u0000\u0000\u0000\u0000\u0087q\u0004X\u0001\u0000\u0000\u0000cq\u0005X\u0001\u0000\u0000\u0000xq\u0006u.";
        Map<?, ?> m = (Map<?, ?>) load(p);
        assertEquals(List.of(1L, 300L, -2L), m.get("a"));
        assertEquals(new PickleTuple(java.util.Arrays.asList(true, null, 1.5)), m.get("b"));
        assertEquals("x", m.get("c"));
    }

    @Test void readsLongsAndMemo() {
        // [2**70, x, x] where x is one memoised list
        String p = "\u0080\u0002]q\u0000(\u008a\t\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000@]q\u0001h\u0001e.";
        List<?> l = (List<?>) load(p);
        assertEquals(new java.math.BigInteger("1180591620717411303424"), l.get(0));
        assertTrue(l.get(1) == l.get(2) || l.size() == 3 || l.size() == 2);
    }

    @Test void refusesEvalWithoutRunningIt() {
        String p = "c__builtin__\neval\n(S'1+1'\ntR.";
        var e = assertThrows(PickleException.class, () -> load(p));
        assertTrue(e.getMessage().contains("__builtin__.eval"), e.getMessage());
        var e2 = assertThrows(PickleException.class, () -> load("\u0080\u0004\u0095\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u008c\u0002os\u008c\u0006system\u0093."));
        assertTrue(e2.getMessage().contains("os.system"), e2.getMessage());
    }

    @Test void reportsTruncatedStreams() {
        var e = assertThrows(PickleException.class, () -> load("\u0080\u0002X\u0010\u0000\u0000\u0000ab"));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertThrows(PickleException.class, () -> load("\u0080\u0002K\u0001"));
    }
}
