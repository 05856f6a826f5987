import { InviteForm } from '@/components/shell/invite-form';

/* /invite#token=…: the token stays in the fragment, so it never reaches a server log. */
export default function InvitePage() {
    return <InviteForm />;
}
