import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useFetcher, useLoaderData, useNavigation } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { checkField, FIELDS, fieldProps } from "../../convex/shared/fields";
import { ConfirmButton, FormMessage, SelectField, TextField } from "../studio/components";
import { Time } from "../studio/format";
import { useLive } from "../studio/live";
import { can, mayInvite, mayManageMember, ROLE_LABELS, SITE_ROLES, type SiteRole } from "../../convex/shared/roles";
import { useStudioSite } from "../studio/site";
import { attempt, field, idParam, loadIfAllowed, loadOrThrow, privateHeaders, reply, requireStudio, requireStudioAction } from "../studio/studio.server";

// /studio/:siteId/members: who belongs to the site and with which role. Admins and above invite
// (owners only invite owners), change roles and remove members; anyone may leave. The rules live
// in convex/model/members.ts: a refused change comes back as a form error, never a crash.

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  const [members, invites, claimable] = await Promise.all([
    loadOrThrow(convex.query(api.members.list, { siteId })),
    loadIfAllowed(convex.query(api.members.listInvites, { siteId })),
    loadIfAllowed(convex.query(api.members.claimable, { siteId })),
  ]);
  // "Invite to claim" (issue #17) links here with ?claim=<placeholder member id>: the invite form
  // opens prefilled with the email the import found for that author.
  const claimId = new URL(request.url).searchParams.get("claim");
  const claim = claimable?.find((c) => c.memberId === claimId) ?? null;
  return data({ siteId, members, invites, claim }, { headers: privateHeaders(headers) });
}

type Intent = "invite" | "changeRole" | "remove" | "leave" | "revokeInvite";

function roleField(form: FormData): SiteRole | null {
  const role = field(form, "role");
  return (SITE_ROLES as readonly string[]).includes(role) ? (role as SiteRole) : null;
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { convex, headers, siteId, user } = await requireStudioAction(request, params);
  const form = await request.formData();
  const intent = field(form, "intent") as Intent;
  switch (intent) {
    case "invite": {
      // Sent as typed (the notice echoes it); Convex normalises it under the same rule.
      const email = field(form, "email");
      const role = roleField(form);
      // Convex checks it names a placeholder author of this site (INVALID_ARGUMENT otherwise).
      const claimMemberId = field(form, "claimMemberId") ? idParam<"siteMembers">({ id: field(form, "claimMemberId") }, "id") : undefined;
      const fields: Record<string, string> = {};
      if (!checkField(FIELDS.email, email).ok) fields.email = "Enter an email address.";
      if (!role) fields.role = "Choose a role.";
      if (Object.keys(fields).length || !role) return reply({ intent, errors: { fields } }, headers, 400);
      let link: string | null = null;
      const result = await attempt(intent, headers, async () => {
        const { token } = await convex.mutation(api.members.invite, { siteId, email, role, ...(claimMemberId ? { claimMemberId } : {}) });
        link = `${new URL(request.url).origin}/studio/invites/${encodeURIComponent(token)}`;
        return `Invitation for ${email} as ${ROLE_LABELS[role]} created.`;
      }, { fields: ["email", "role"] });
      // The token is the invitee's key: shown once, to the inviter, to pass on.
      return link ? data({ ...result.data, link }, result.init ?? undefined) : result;
    }
    case "changeRole": {
      const userId = idParam<"users">({ id: field(form, "userId") }, "id");
      const role = roleField(form);
      if (!role) return reply({ intent, errors: { form: "Choose a role." } }, headers, 400);
      return attempt(intent, headers, async () => {
        await convex.mutation(api.members.changeRole, { siteId, userId, role });
        return "Role changed.";
      });
    }
    case "remove": {
      const userId = idParam<"users">({ id: field(form, "userId") }, "id");
      return attempt(intent, headers, async () => {
        await convex.mutation(api.members.remove, { siteId, userId });
        return "Member removed.";
      });
    }
    case "leave": {
      const failed = await attempt(intent, headers, async () => {
        await convex.mutation(api.members.remove, { siteId, userId: user._id as Id<"users"> });
      });
      if (failed.data.ok) return redirect("/studio", { headers });
      return failed;
    }
    case "revokeInvite": {
      const inviteId = idParam<"siteInvites">({ id: field(form, "inviteId") }, "id");
      return attempt(intent, headers, async () => {
        await convex.mutation(api.members.revokeInvite, { siteId, inviteId });
        return "Invitation withdrawn.";
      });
    }
    default:
      return reply({ intent, errors: { form: "Unknown action." } }, headers, 400);
  }
}

export default function Members() {
  const { siteId, members: initialMembers, invites: initialInvites, claim } = useLoaderData<typeof loader>();
  const site = useStudioSite();
  const manage = can(site.role, "member.invite");
  const { data: members } = useLive(api.members.list, { siteId: siteId as Id<"sites"> }, initialMembers);
  const { data: invites } = useLive(api.members.listInvites, manage ? { siteId: siteId as Id<"sites"> } : "skip", initialInvites);
  return (
    <main id="main" className="st-page">
      <header className="st-page__header">
        <h1>Members</h1>
      </header>
      {manage ? <Invite role={site.role} claim={claim} key={claim?.memberId ?? "new"} /> : null}
      <table className="st-table st-table--cards" data-testid="members-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Member since</th>
            <th scope="col">
              <span className="st-visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <tr key={m._id} data-testid="member-row">
              <td data-label="Name">
                {m.name}
                {m.userId === site.viewerId ? <span className="st-muted"> (you)</span> : null}
                {m.placeholder ? <span className="st-muted" data-testid="placeholder-author"> · Imported author (placeholder)</span> : null}
              </td>
              <td data-label="Role">
                <MemberRole member={m} viewerRole={site.role} self={m.userId === site.viewerId} />
              </td>
              <td data-label="Member since">
                <Time ms={m.createdAt} />
              </td>
              <td data-label="">
                {m.placeholder ? (
                  manage ? (
                    <a className="st-button" href={`?claim=${encodeURIComponent(m._id)}#invite-heading`} data-testid="invite-to-claim">
                      Invite to claim
                    </a>
                  ) : null
                ) : (
                  <MemberActions member={m} viewerRole={site.role} self={m.userId === site.viewerId} />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {manage && invites ? <PendingInvites invites={invites} /> : null}
    </main>
  );
}

type Claim = { memberId: string; name: string; email: string | null };

function Invite({ role, claim }: { role: SiteRole; claim: Claim | null }) {
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const formRef = useRef<HTMLFormElement>(null);
  const mine = result?.intent === "invite" ? result : undefined;
  const link = mine && "link" in mine ? (mine.link as string) : null;
  useEffect(() => {
    if (mine?.ok) formRef.current?.reset();
  }, [mine]);
  return (
    <section className="st-card" aria-labelledby="invite-heading">
      <h2 id="invite-heading">{claim ? `Invite someone to claim ${claim.name}'s posts` : "Invite someone"}</h2>
      {claim ? <p className="st-muted">Whoever accepts takes over the imported posts and author page of {claim.name}.</p> : null}
      <Form method="post" className="st-form st-form--inline" ref={formRef} noValidate>
        <input type="hidden" name="intent" value="invite" />
        {claim ? <input type="hidden" name="claimMemberId" value={claim.memberId} /> : null}
        <FormMessage errors={mine?.errors} notice={mine?.notice} />
        <TextField
          label="Email"
          name="email"
          type="email"
          required
          {...fieldProps(FIELDS.email)}
          autoComplete="off"
          defaultValue={claim?.email ?? undefined}
          error={mine?.errors?.fields?.email}
        />
        <SelectField label="Role" name="role" defaultValue="author" error={mine?.errors?.fields?.role}>
          {SITE_ROLES.filter((r) => mayInvite(role, r)).map((r) => (
            <option key={r} value={r}>
              {ROLE_LABELS[r]}
            </option>
          ))}
        </SelectField>
        <button type="submit" className="st-button st-button--primary" disabled={navigation.state === "submitting"}>
          Send invitation
        </button>
      </Form>
      {link ? (
        <p className="st-notice" data-testid="invite-link">
          Send them this link (valid for 7 days, only for that address): <code>{link}</code>
        </p>
      ) : null}
    </section>
  );
}

type Member = { _id: string; userId: string; name: string; role: SiteRole };

function MemberRole({ member, viewerRole, self }: { member: Member; viewerRole: SiteRole; self: boolean }) {
  const fetcher = useFetcher<typeof action>();
  // The same rule Convex enforces (model/members.ts requireMayManage): only the changes it would accept.
  if (!mayManageMember(viewerRole, member.role, { self })) return <span data-testid="member-role">{ROLE_LABELS[member.role]}</span>;
  const options = SITE_ROLES.filter((r) => mayManageMember(viewerRole, member.role, { self, to: r }));
  return (
    <fetcher.Form method="post" className="st-inline-buttons">
      <input type="hidden" name="intent" value="changeRole" />
      <input type="hidden" name="userId" value={member.userId} />
      <label className="st-visually-hidden" htmlFor={`role-${member.userId}`}>
        Role of {member.name}
      </label>
      <select id={`role-${member.userId}`} name="role" defaultValue={member.role} key={member.role} data-testid="member-role">
        {options.map((r) => (
          <option key={r} value={r}>
            {ROLE_LABELS[r]}
          </option>
        ))}
      </select>
      <button type="submit" className="st-button">
        Change
      </button>
      <FormMessage errors={fetcher.data?.errors} />
    </fetcher.Form>
  );
}

function MemberActions({ member, viewerRole, self }: { member: Member; viewerRole: SiteRole; self: boolean }) {
  const fetcher = useFetcher<typeof action>();
  if (self) {
    return (
      <fetcher.Form method="post">
        <ConfirmButton label="Leave site" confirmLabel="Leave" question="Leave this publication? Your posts stay." type="submit" name="intent" value="leave" />
        <FormMessage errors={fetcher.data?.errors} />
      </fetcher.Form>
    );
  }
  if (!mayManageMember(viewerRole, member.role, { self: false })) return null;
  return (
    <fetcher.Form method="post">
      <input type="hidden" name="userId" value={member.userId} />
      <ConfirmButton label="Remove" confirmLabel="Remove member" question={`Remove ${member.name}? Their posts stay.`} type="submit" name="intent" value="remove" />
      <FormMessage errors={fetcher.data?.errors} />
    </fetcher.Form>
  );
}

function PendingInvites({ invites }: { invites: Array<{ _id: string; email: string; role: SiteRole; expiresAt: number }> }) {
  if (!invites.length) return null;
  return (
    <section aria-labelledby="invites-heading">
      <h2 id="invites-heading">Pending invitations</h2>
      <ul className="st-list" data-testid="invites">
        {invites.map((i) => (
          <li key={i._id}>
            <RevokeInvite invite={i} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function RevokeInvite({ invite }: { invite: { _id: string; email: string; role: SiteRole; expiresAt: number } }) {
  const fetcher = useFetcher<typeof action>();
  return (
    <fetcher.Form method="post" className="st-inline-buttons">
      <span>
        {invite.email} · {ROLE_LABELS[invite.role]} · expires <Time ms={invite.expiresAt} />
      </span>
      <input type="hidden" name="inviteId" value={invite._id} />
      <button type="submit" name="intent" value="revokeInvite" className="st-button">
        Withdraw
      </button>
      <FormMessage errors={fetcher.data?.errors} />
    </fetcher.Form>
  );
}
