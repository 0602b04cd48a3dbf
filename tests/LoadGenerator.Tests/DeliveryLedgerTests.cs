using LoadGenerator.Recording;

namespace LoadGenerator.Tests;

public class DeliveryLedgerTests
{
    [Fact]
    public void Counts_lost_duplicated_and_unexpected_messages()
    {
        var ledger = new DeliveryLedger();
        for (long s = 0; s < 5; s++)
        {
            ledger.Attempted(s);
            if (s != 4) ledger.Accepted(s); // 4: the sender saw an error
        }
        Assert.True(ledger.Received(0));
        Assert.True(ledger.Received(1));
        Assert.False(ledger.Received(1)); // duplicate
        Assert.True(ledger.Received(4)); // stored although the sender saw an error
        Assert.True(ledger.Received(99)); // never sent by us
        Assert.Equal(4, ledger.AcceptedCount);
        Assert.Equal(2, ledger.Missing); // 2 and 3
        Assert.Equal([2L, 3L], ledger.MissingSample(10));
        Assert.Equal(1, ledger.Duplicates);
        Assert.Equal(2, ledger.Unexpected); // 4 and 99
        Assert.Equal(1, ledger.Foreign); // 99
        Assert.Equal(5, ledger.Deliveries);
        Assert.False(ledger.AllAcceptedReceived);
        ledger.Received(2);
        ledger.Received(3);
        Assert.True(ledger.AllAcceptedReceived);
        Assert.Equal(0, ledger.Missing);
    }
}
