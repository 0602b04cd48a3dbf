using System.Text.Json.Nodes;

namespace Mediator.Didcomm.Messages;

/// <summary>The <c>~thread</c> decorator (Aries RFC 0008).</summary>
/// <param name="ThreadId"><c>thid</c>: the thread this message belongs to; absent means the message's own <c>@id</c>.</param>
/// <param name="ParentThreadId"><c>pthid</c>: the parent thread, e.g. the out-of-band invitation's <c>@id</c> (or a DID for implicit invitations).</param>
/// <param name="SenderOrder"><c>sender_order</c>, optional.</param>
/// <param name="ReceivedOrders"><c>received_orders</c>, optional.</param>
public sealed record ThreadDecorator(
    string? ThreadId,
    string? ParentThreadId = null,
    long? SenderOrder = null,
    IReadOnlyDictionary<string, long>? ReceivedOrders = null)
{
    public const string FieldName = "~thread";

    /// <summary>Reads the decorator object; throws <see cref="MalformedMessageException"/> on wrong field types.</summary>
    public static ThreadDecorator FromJson(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var thid = JsonFields.OptionalString(json, "thid", FieldName);
        var pthid = JsonFields.OptionalString(json, "pthid", FieldName);
        if (thid is { Length: 0 })
        {
            throw new MalformedMessageException("must not be empty.", $"{FieldName}.thid");
        }

        if (pthid is { Length: 0 })
        {
            throw new MalformedMessageException("must not be empty.", $"{FieldName}.pthid");
        }

        var senderOrder = JsonFields.OptionalInteger(json, "sender_order", FieldName);
        Dictionary<string, long>? received = null;
        var receivedJson = JsonFields.OptionalObject(json, "received_orders", FieldName);
        if (receivedJson is not null)
        {
            received = [];
            foreach (var (key, _) in receivedJson)
            {
                received[key] = JsonFields.OptionalInteger(receivedJson, key, $"{FieldName}.received_orders")
                    ?? throw new MalformedMessageException("must be an integer.", $"{FieldName}.received_orders.{key}");
            }
        }

        return new ThreadDecorator(thid, pthid, senderOrder, received);
    }

    /// <summary>The decorator as Credo writes it (absent fields omitted).</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject();
        if (ThreadId is not null)
        {
            o["thid"] = ThreadId;
        }

        if (ParentThreadId is not null)
        {
            o["pthid"] = ParentThreadId;
        }

        if (SenderOrder is not null)
        {
            o["sender_order"] = SenderOrder;
        }

        if (ReceivedOrders is not null)
        {
            var r = new JsonObject();
            foreach (var (k, v) in ReceivedOrders)
            {
                r[k] = v;
            }

            o["received_orders"] = r;
        }

        return o;
    }
}

/// <summary>Values of <c>~transport.return_route</c> (Aries RFC 0092).</summary>
public enum ReturnRoute
{
    /// <summary><c>none</c>: do not use this connection for replies.</summary>
    None,

    /// <summary><c>all</c>: send every message for the sender over this connection while it is open.</summary>
    All,

    /// <summary><c>thread</c>: send messages of the thread named in <c>return_route_thread</c> over this connection.</summary>
    Thread,
}

/// <summary>The <c>~transport</c> decorator (Aries RFC 0092).</summary>
public sealed record TransportDecorator(ReturnRoute? ReturnRoute, string? ReturnRouteThread = null)
{
    public const string FieldName = "~transport";

    /// <summary>Reads the decorator; unknown <c>return_route</c> values are rejected.</summary>
    public static TransportDecorator FromJson(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var rr = JsonFields.OptionalString(json, "return_route", FieldName);
        ReturnRoute? route = rr switch
        {
            null => null,
            "none" => Messages.ReturnRoute.None,
            "all" => Messages.ReturnRoute.All,
            "thread" => Messages.ReturnRoute.Thread,
            _ => throw new MalformedMessageException(
                $"must be one of \"none\", \"all\", \"thread\", found \"{rr}\".", $"{FieldName}.return_route"),
        };
        var thread = JsonFields.OptionalString(json, "return_route_thread", FieldName);
        if (route == Messages.ReturnRoute.Thread && string.IsNullOrEmpty(thread))
        {
            throw new MalformedMessageException("is required when return_route is \"thread\".", $"{FieldName}.return_route_thread");
        }

        return new TransportDecorator(route, thread);
    }

    public JsonObject ToJson()
    {
        var o = new JsonObject();
        if (ReturnRoute is { } r)
        {
            o["return_route"] = ToWire(r);
        }

        if (ReturnRouteThread is not null)
        {
            o["return_route_thread"] = ReturnRouteThread;
        }

        return o;
    }

    /// <summary>The wire value (<c>none</c>, <c>all</c>, <c>thread</c>).</summary>
    public static string ToWire(ReturnRoute route) => route switch
    {
        Messages.ReturnRoute.None => "none",
        Messages.ReturnRoute.All => "all",
        Messages.ReturnRoute.Thread => "thread",
        _ => throw new ArgumentOutOfRangeException(nameof(route)),
    };
}
