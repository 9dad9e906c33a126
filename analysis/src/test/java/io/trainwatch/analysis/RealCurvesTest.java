package io.trainwatch.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RealCurvesTest {

    @Test
    void table() throws Exception {
        RealCurvesHarness.Summary s = RealCurvesHarness.run(AnalysisSettings.defaults());
        System.out.println(RealCurvesHarness.table(s));
        assertEquals(54, s.runs().size(), "runs in the corpus");
    }
}
