using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace Pickup.Core;

/// <summary>
/// A <see cref="TimeSpan"/> option within [<paramref name="minimum"/>, <paramref name="maximum"/>] (constant
/// <c>[d.]hh:mm:ss[.fff]</c> strings, parsed once, invariant culture). It replaces <c>[Range(typeof(TimeSpan), ...)]</c>,
/// whose type-converter lookup is reflection the native AOT replica cannot keep; the options validators generated at
/// compile time (<c>[OptionsValidator]</c>) call it like any other validation attribute.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter)]
public sealed class TimeSpanRangeAttribute(string minimum, string maximum) : ValidationAttribute
{
    /// <summary>Smallest value allowed.</summary>
    public TimeSpan Minimum { get; } = TimeSpan.Parse(minimum, CultureInfo.InvariantCulture);

    /// <summary>Largest value allowed.</summary>
    public TimeSpan Maximum { get; } = TimeSpan.Parse(maximum, CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public override bool IsValid(object? value) =>
        value is null || (value is TimeSpan span && span >= Minimum && span <= Maximum);

    /// <inheritdoc />
    public override string FormatErrorMessage(string name) =>
        string.Format(CultureInfo.InvariantCulture, "The field {0} must be between {1} and {2}.", name, Minimum, Maximum);
}
