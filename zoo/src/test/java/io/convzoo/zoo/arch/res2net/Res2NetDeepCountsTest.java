package io.convzoo.zoo.arch.res2net;

import org.junit.jupiter.api.Test;

/** Parameter counts of the 101- and 152-layer variants against the official code (see Res2NetCountsTest). */
class Res2NetDeepCountsTest {

    @Test
    void parametersOfTheDeepVariantsMatchTheOfficialCode() {
        Res2NetCountsTest.assertParameters(Res2NetCountsTest::isDeep);
    }
}
