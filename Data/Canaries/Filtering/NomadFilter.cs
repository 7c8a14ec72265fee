namespace Dashboard.Data.Canaries.Filtering;

/// <summary>
/// Nomad's <c>filter</c> query parameter: the expression language of hashicorp/go-bexpr
/// (<c>Status == "running" and TaskGroups["web"].Promoted == false</c>), parsed once and then
/// evaluated against C# objects the way go-bexpr evaluates Go structs.
/// </summary>
/// <remarks>
/// <para>Selectors name public properties by their Go/JSON field name (the property name, or its
/// <c>[JsonPropertyName]</c> when it has one; <c>[JsonIgnore]</c> hides it), dictionary keys
/// (<c>Meta.owner</c>, <c>TaskGroups["web"]</c>) and list indexes (<c>Tags.0</c>). Values are raw text
/// coerced to the type of the field they are compared with: <c>JobVersion == 3</c>,
/// <c>Promoted == true</c> and <c>Promoted == "true"</c> all work, as in go-bexpr.</para>
/// <para>A selector that names a property the object does not have throws
/// <see cref="FilterEvaluationException"/>: Nomad answers such a filter with 400 ("failed to read
/// result page: ... couldn't find struct field"), and a typo that silently matched nothing would read
/// as "there are no deployments". A missing dictionary key is not an error: it is absent, and each
/// operator has go-bexpr's answer for absent (<c>==</c> false, <c>!=</c> true, <c>is empty</c> true...).
/// A null along the path or a null nullable value is treated the same way; a null string reads as ""
/// and a null list or dictionary as empty, since Go has no null strings and nil collections are empty.</para>
/// <para>Instances are immutable and thread-safe; property accessors are compiled once per type and
/// shared by every filter.</para>
/// </remarks>
public sealed class NomadFilter
{
    private readonly FilterExpression _root;

    private NomadFilter(string expression, FilterExpression root)
    {
        Expression = expression;
        _root = root;
    }

    /// <summary>The expression as given.</summary>
    public string Expression { get; }

    /// <exception cref="FilterSyntaxException">The expression is not valid, with go-bexpr's
    /// position-prefixed message (<c>1:12 (11): rule "string": Unterminated string literal</c>).</exception>
    public static NomadFilter Parse(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        return new NomadFilter(expression, FilterParser.Parse(expression));
    }

    /// <exception cref="FilterEvaluationException">The expression does not fit the object: an unknown
    /// field, a value that does not convert to the field's type, an operator the field's type does not have.</exception>
    public bool Matches(object? root) => _root.Evaluate(new Scope(root, null));

    /// <summary>
    /// A condition on <paramref name="columns"/> that every match satisfies, for the database to test
    /// before <see cref="Matches"/> runs on what it returns; null when nothing can be said in SQL.
    /// </summary>
    /// <param name="probe">An object of the type <see cref="Matches"/> is given, to find terms that fail on every row.</param>
    public System.Linq.Expressions.Expression<Func<T, bool>>? Narrowing<T>(FilterColumns<T> columns, object probe) =>
        new FilterNarrowing<T>(columns).Build(_root, probe);

    public override string ToString() => Expression;
}

/// <summary>A filter expression that does not parse; the message is fit for a 400 body.</summary>
public sealed class FilterSyntaxException(string message) : Exception(message);

/// <summary>A filter expression that parses but does not fit the objects it is evaluated against; a 400 as well.</summary>
public sealed class FilterEvaluationException(string message) : Exception(message);
