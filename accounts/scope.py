"""What a user may see and operate, from their grants (and their groups' grants). Superusers
operate everything. Computed once per request (cached on the user object)."""

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from accounts.models import Grant, Role

RANK = {None: 0, Role.VIEWER: 1, Role.OPERATOR: 2}


@dataclass
class Scope:
    fleet: str | None = None  # the role on everything, if any
    hosts: dict[int, str] = field(default_factory=dict)  # host id -> role
    instances: dict[int, str] = field(default_factory=dict)  # instance id -> role

    def role_on_host(self, host_id: int) -> str | None:
        return _best(self.fleet, self.hosts.get(host_id))

    def role_on_instance(self, instance_id: int, host_id: int) -> str | None:
        return _best(self.role_on_host(host_id), self.instances.get(instance_id))

    def sees_host(self, host_id: int | None) -> bool:
        return host_id is not None and self.role_on_host(host_id) is not None


def _best(*roles) -> str | None:
    return max(roles, key=lambda role: RANK[role])


def scope_for(user, *, fresh: bool = False) -> Scope:
    """The user's scope; cached on the user object unless `fresh` (long-lived consumers)."""
    if not user.is_authenticated:
        return Scope()
    cached = getattr(user, "_lvc_scope", None)
    if cached is not None and not fresh:
        return cached
    scope = Scope(fleet=Role.OPERATOR) if user.is_superuser else _from_grants(user)
    token = getattr(user, "api_token", None)  # set by the API's authentication
    if token is not None:
        scope = _narrowed(scope, read_only=token.read_only, host_ids=set(token.hosts.values_list("pk", flat=True)))
    user._lvc_scope = scope
    return scope


def _narrowed(scope: Scope, *, read_only: bool, host_ids: set[int]) -> Scope:
    """The scope an API token leaves its user: viewer at most when read-only, and only the hosts
    `host_ids` (and instances on them) when it names any."""
    cap = (lambda role: Role.VIEWER if role else None) if read_only else (lambda role: role)
    if not host_ids:
        return Scope(fleet=cap(scope.fleet), hosts={pk: cap(role) for pk, role in scope.hosts.items()},
                     instances={pk: cap(role) for pk, role in scope.instances.items()})  # fmt: skip
    from instances.models import Instance  # accounts is below instances

    hosts = {pk: cap(_best(scope.fleet, scope.hosts.get(pk))) for pk in host_ids}
    on_hosts = Instance.objects.filter(pk__in=list(scope.instances), host_id__in=host_ids).values_list("pk", flat=True)
    instances = {pk: cap(scope.instances[pk]) for pk in on_hosts}
    return Scope(hosts={pk: role for pk, role in hosts.items() if role}, instances=instances)


def _from_grants(user) -> Scope:
    scope = Scope()
    grants = Grant.objects.filter(Q(user=user) | Q(group__in=user.groups.all())).values_list(
        "role", "host_id", "instance_id"
    )
    for role, host_id, instance_id in grants:
        if host_id:
            scope.hosts[host_id] = _best(scope.hosts.get(host_id), role)
        elif instance_id:
            scope.instances[instance_id] = _best(scope.instances.get(instance_id), role)
        else:
            scope.fleet = _best(scope.fleet, role)
    return scope


def visible_hosts(user, queryset: QuerySet) -> QuerySet:
    scope = scope_for(user)
    return queryset if scope.fleet else queryset.filter(pk__in=list(scope.hosts))


def operated_hosts(user, queryset: QuerySet) -> QuerySet:
    """Hosts the user operates (where new instances may be created)."""
    scope = scope_for(user)
    if scope.fleet == Role.OPERATOR:
        return queryset
    return queryset.filter(pk__in=[pk for pk, role in scope.hosts.items() if role == Role.OPERATOR])


def visible_instances(user, queryset: QuerySet) -> QuerySet:
    scope = scope_for(user)
    if scope.fleet:
        return queryset
    return queryset.filter(Q(host_id__in=list(scope.hosts)) | Q(pk__in=list(scope.instances)))


def visible_operations(user, queryset: QuerySet) -> QuerySet:
    """Operations on what the user sees (by host, or by instance), and their own."""
    scope = scope_for(user)
    if scope.fleet:
        return queryset
    on_instances = Q(target_type="instance", target_id__in=[str(pk) for pk in scope.instances])
    return queryset.filter(Q(host_id__in=list(scope.hosts)) | on_instances | Q(user_id=user.pk))
