import { Suspense } from 'react';

import { LoginForm } from '@/components/shell/login-form';

export default function LoginPage() {
    return (
        <Suspense>
            <LoginForm />
        </Suspense>
    );
}
