using IommuSim.Runtime.Deterministic;
using IommuSim.TestKit;
using Xunit;

namespace IommuSim.Runtime.Tests.Engine;

/// <summary>
/// PCT counting choice points only (deliveries where more than one channel was runnable): a run
/// that starts with a long sequential stretch still gets its change points where the schedule can
/// differ, while counting every delivery spends them in the stretch.
/// </summary>
public sealed class PctChoicePointTests
{
    private sealed class Register : ReceiveActor
    {
        public Register(List<string> order) => Receive<string>(s => order.Add(s));
    }

    private sealed class Writer : ReceiveActor
    {
        public Writer(IActorRef register, string name) => Receive<int>(n =>
        {
            for (var i = 0; i < n; i++) register.Tell($"{name}{i}", Self);
        });
    }

    /// <summary>Passes a token to itself <c>rounds</c> times (one runnable channel: no choice), then starts both writers.</summary>
    private sealed class Prefix : ReceiveActor
    {
        public Prefix(int rounds, IActorRef a, IActorRef b) => Receive<int>(n =>
        {
            if (n < rounds)
            {
                Self.Tell(n + 1, Self);
                return;
            }
            a.Tell(3, Self);
            b.Tell(3, Self);
        });
    }

    private static string Run(ulong seed, bool countChoicePoints)
    {
        using var kit = new DeterministicTestKit(null, seed, "pct");
        var d = kit.Dispatcher;
        d.UseStrategy(new PctStrategy(seed, depth: 2, maxSteps: 4, countChoicePoints));
        var order = new List<string>();
        var register = kit.Sys.ActorOf(Props.Create(() => new Register(order)), "register");
        var a = kit.Sys.ActorOf(Props.Create(() => new Writer(register, "a")), "a");
        var b = kit.Sys.ActorOf(Props.Create(() => new Writer(register, "b")), "b");
        var prefix = kit.Sys.ActorOf(Props.Create(() => new Prefix(20, a, b)), "prefix");
        prefix.Tell(0, ActorRefs.NoSender);
        d.RunUntilQuiescent();
        return string.Concat(order.Select(s => s[0]));
    }

    // Without a change point PCT runs the highest channel to completion: one writer's values, then the other's.
    private static bool Interleaved(string order) => order is not ("aaabbb" or "bbbaaa");

    [Fact]
    public void Counting_choice_points_puts_the_change_point_among_the_writers_deliveries()
    {
        var orders = Enumerable.Range(1, 60).Select(s => Run((ulong)s, countChoicePoints: true)).ToList();
        Assert.All(orders, o => Assert.Equal(6, o.Length));
        Assert.Contains(orders, Interleaved);
    }

    [Fact]
    public void Counting_every_delivery_spends_the_change_point_in_the_sequential_prefix()
    {
        var orders = Enumerable.Range(1, 60).Select(s => Run((ulong)s, countChoicePoints: false)).ToList();
        Assert.DoesNotContain(orders, Interleaved);
    }

    [Fact]
    public void A_seed_gives_the_same_order_with_choice_points_counted()
    {
        for (ulong seed = 1; seed <= 20; seed++) Assert.Equal(Run(seed, true), Run(seed, true));
    }
}
