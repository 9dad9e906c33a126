package io.trainwatch.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ExitCodesTest {

    @ParameterizedTest
    @CsvSource({"completed,0,true", "failed,1,true", "diverged,1,true", "cancelled,2,true", "stopped_early,2,true",
            "running,3,false", "cancelling,3,false", "queued,3,false", "CANCELLED,2,true"})
    void finalStatusesMapToTheDocumentedExitCodes(String status, int exitCode, boolean isFinal) {
        assertEquals(exitCode, ExitCodes.forFinalStatus(status));
        assertEquals(isFinal, ExitCodes.isFinal(status));
    }
}
