package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class NumberTextTest {
    @Test
    void seedNotationIsNineSignificantDigitsWithoutTrailingZeros() {
        assertEquals("3.27463424e10", NumberText.seed(new BigInteger("32746342400")));
        assertEquals("1.59410463e10", NumberText.seed(new BigInteger("15941046272")));
        assertEquals("9.27712936e13", NumberText.seed(new BigInteger("92771293593600")));
        assertEquals("2.78313881e14", NumberText.seed(new BigInteger("278313880780800")));
        assertEquals("1.11325552e20", NumberText.seed(new BigInteger("111325552312320000000")));
        assertEquals("5e3", NumberText.seed(new BigInteger("5000")));
        assertEquals("7", NumberText.seed(BigInteger.valueOf(7)));
        assertEquals("0", NumberText.seed(BigInteger.ZERO));
    }

    @Test
    void groupedAndPlain() {
        assertEquals("11,418,005.37", NumberText.grouped(11_418_005.365366153, 2));
        assertEquals("19.5", NumberText.plain(19.5));
        assertEquals("50%", NumberText.percent(0.5));
    }
}
