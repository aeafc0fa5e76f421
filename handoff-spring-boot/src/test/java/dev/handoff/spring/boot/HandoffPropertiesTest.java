package dev.handoff.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/** The SIGTERM budget: one grace period split, every value checked with the property and the value named. */
class HandoffPropertiesTest {

    @Test
    void theDrainGetsWhatTheGracePeriodLeaves() {
        HandoffProperties.Termination termination = new HandoffProperties().getTermination();
        assertThat(termination.drainBudget()).isEqualTo(Duration.ofSeconds(20));
        termination.setGracePeriod(Duration.ofSeconds(60));
        termination.setPropagationDelay(Duration.ZERO);
        assertThat(termination.drainBudget()).isEqualTo(Duration.ofSeconds(55));
    }

    @Test
    void aBudgetThatLeavesNoDrainIsRefusedWithItsParts() {
        HandoffProperties properties = new HandoffProperties();
        properties.getTermination().setGracePeriod(Duration.ofSeconds(10));
        assertThatThrownBy(properties::validate).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("handoff.termination.grace-period (PT10S) must be > propagation-delay + close-budget + "
                        + "margin (PT5S + PT4S + PT1S), leaving a drain budget, but left PT0S");
    }

    @Test
    void eachValueIsCheckedByName() {
        HandoffProperties properties = new HandoffProperties();
        properties.getTermination().setPropagationDelay(Duration.ofSeconds(-1));
        assertThatThrownBy(properties::validate)
                .hasMessage("handoff.termination.propagation-delay must be >= 0, but was PT-1S");
        properties.getTermination().setPropagationDelay(Duration.ZERO);
        properties.getTermination().setFailureExitStatus(0);
        assertThatThrownBy(properties::validate)
                .hasMessage("handoff.termination.failure-exit-status must be in 1..255, but was 0");
        properties.getTermination().setFailureExitStatus(1);
        properties.getWeb().setIdleThreshold(Duration.ZERO);
        assertThatThrownBy(properties::validate).hasMessage("handoff.web.idle-threshold must be > 0, but was PT0S");
    }
}
