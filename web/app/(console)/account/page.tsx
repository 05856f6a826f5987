import { AccountForm } from '@/components/shell/account-form';

export default function AccountPage() {
    return <AccountForm />;
}
