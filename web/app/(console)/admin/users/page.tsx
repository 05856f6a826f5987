import { UsersAdmin } from '@/components/users/users-admin';

export default function UsersPage() {
    return <UsersAdmin />;
}
